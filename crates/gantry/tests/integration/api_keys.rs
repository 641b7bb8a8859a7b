//! API keys: creation, listing, deletion, and the three ways to send one.

use base64::Engine;
use gantry_test_support::{upack, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::expect_status;

#[tokio::test]
async fn keys_are_shown_once_and_listed_without_secrets() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        let created = app
            .admin(Method::POST, "/api/api-keys/create")
            .json(
                &json!({"type": "feed", "feed": "TOOLS", "packagePermissions": ["view", "Promote"],
                          "displayName": "ci", "expiration": "2999-01-01T00:00:00Z"}),
            )
            .send()
            .await
            .expect("request");
        let created: Value =
            serde_json::from_str(&expect_status(created, StatusCode::OK, &ctx).await).expect("json");
        let secret = created["key"].as_str().expect("secret").to_owned();
        assert_eq!(secret.len(), 40);
        assert_eq!(created["feed"], "tools");
        assert_eq!(created["packagePermissions"], json!(["view", "promote"]));
        assert_eq!(created["expiration"], "2999-01-01T00:00:00Z");

        let list = app
            .admin(Method::GET, "/api/api-keys/list")
            .send()
            .await
            .expect("request");
        let list_text = expect_status(list, StatusCode::OK, &ctx).await;
        assert!(!list_text.contains(&secret), "{ctx}: secrets are never listed");
        assert!(!list_text.contains(gantry_test_support::ADMIN_KEY));
        let list: Value = serde_json::from_str(&list_text).expect("json");
        assert_eq!(
            list.as_array().expect("array").len(),
            2,
            "{ctx}: bootstrap key and the new one"
        );
        assert!(list[0].get("key").is_none());

        let id = created["id"].as_i64().expect("id");
        let deleted = app
            .admin(Method::POST, &format!("/api/api-keys/delete?id={id}"))
            .send()
            .await
            .expect("request");
        expect_status(deleted, StatusCode::OK, &ctx).await;
        let again = app
            .admin(Method::POST, &format!("/api/api-keys/delete?id={id}"))
            .send()
            .await
            .expect("request");
        expect_status(again, StatusCode::NOT_FOUND, &ctx).await;
        let usable = app
            .with_key(Method::GET, "/api/packages/tools/versions", &secret)
            .send()
            .await
            .expect("request");
        expect_status(usable, StatusCode::FORBIDDEN, &ctx).await;
    }
}

#[tokio::test]
async fn invalid_key_requests_are_refused() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        let cases = [
            json!({"type": "system"}),
            json!({"type": "system", "systemApis": ["root"]}),
            json!({"type": "feed", "packagePermissions": ["view"]}),
            json!({"type": "feed", "feed": "nowhere", "packagePermissions": ["view"]}),
            json!({"type": "feed", "feed": "tools", "packagePermissions": []}),
            json!({"type": "feed", "feed": "tools", "packagePermissions": ["fly"]}),
            json!({"type": "feed", "feedGroup": "g", "packagePermissions": ["view"]}),
            json!({"type": "personal", "user": "alice"}),
            json!({"type": "master"}),
            json!({"type": "system", "systemApis": ["feeds"], "expiration": "yesterday"}),
            json!({"type": "system", "systemApis": ["feeds"], "expiration": "2001-01-01T00:00:00Z"}),
            json!({"type": "system", "systemApis": ["feeds"], "key": "short"}),
        ];
        for input in cases {
            let response = app
                .admin(Method::POST, "/api/api-keys/create")
                .json(&input)
                .send()
                .await
                .expect("request");
            expect_status(response, StatusCode::BAD_REQUEST, &format!("{ctx} {input}")).await;
        }
        let list = app
            .admin(Method::GET, "/api/api-keys/list")
            .send()
            .await
            .expect("request");
        let list: Value =
            serde_json::from_str(&expect_status(list, StatusCode::OK, &ctx).await).expect("json");
        assert_eq!(
            list.as_array().expect("array").len(),
            1,
            "{ctx}: only the bootstrap key exists"
        );

        let feeds_key = app
            .create_key(json!({"type": "system", "systemApis": ["feeds"]}))
            .await;
        let not_admin = app
            .with_key(Method::POST, "/api/api-keys/create", &feeds_key)
            .json(&json!({"type": "system", "systemApis": ["full-control"]}))
            .send()
            .await
            .expect("request");
        expect_status(not_admin, StatusCode::FORBIDDEN, &ctx).await;
        let anonymous = app
            .anonymous(Method::GET, "/api/api-keys/list")
            .send()
            .await
            .expect("request");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;
        let no_id = app
            .admin(Method::POST, "/api/api-keys/delete")
            .send()
            .await
            .expect("request");
        expect_status(no_id, StatusCode::BAD_REQUEST, &ctx).await;
    }
}

/// Puts a key on a request one way or another.
type AddKey = dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder;

#[tokio::test]
async fn a_key_works_from_header_query_and_basic_auth() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        let key = app
            .create_key(json!({"type": "feed", "feed": "tools", "packagePermissions": ["add"], "key": "custom-key-for-tests-123"}))
            .await;
        assert_eq!(key, "custom-key-for-tests-123");
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("api:{key}"));
        let ways: [(&str, Box<AddKey>); 3] = [
            (
                "1.0.0",
                Box::new(|r| r.header("X-ApiKey", "custom-key-for-tests-123")),
            ),
            (
                "2.0.0",
                Box::new(|r| r.query(&[("key", "custom-key-for-tests-123")])),
            ),
            (
                "3.0.0",
                Box::new(move |r| r.header("Authorization", format!("Basic {basic}"))),
            ),
        ];
        for (version, with_key) in ways {
            let request = app
                .anonymous(Method::POST, "/upack/tools/upload")
                .body(upack("", "p", version, b"x"));
            let response = with_key(request).send().await.expect("request");
            expect_status(response, StatusCode::CREATED, &format!("{ctx} {version}")).await;
        }
        let user_password = base64::engine::general_purpose::STANDARD.encode("alice:secret");
        let refused = app
            .anonymous(Method::POST, "/upack/tools/upload")
            .header("Authorization", format!("Basic {user_password}"))
            .body(upack("", "p", "4.0.0", b"x"))
            .send()
            .await
            .expect("request");
        expect_status(refused, StatusCode::FORBIDDEN, &ctx).await;
    }
}

#[tokio::test]
async fn expired_keys_are_refused() {
    for app in TestApp::each_backend().await {
        let ctx = format!("{:?}", app.backend);
        let created = app
            .admin(Method::POST, "/api/api-keys/create")
            .json(&json!({"type": "system", "systemApis": ["feeds"], "expiration": soon()}))
            .send()
            .await
            .expect("request");
        let created: Value =
            serde_json::from_str(&expect_status(created, StatusCode::OK, &ctx).await).expect("json");
        let secret = created["key"].as_str().expect("secret").to_owned();
        let before = app
            .with_key(Method::GET, "/api/management/feeds/list", &secret)
            .send()
            .await
            .expect("request");
        expect_status(before, StatusCode::OK, &ctx).await;
        tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
        let after = app
            .with_key(Method::GET, "/api/management/feeds/list", &secret)
            .send()
            .await
            .expect("request");
        let reason = expect_status(after, StatusCode::FORBIDDEN, &ctx).await;
        assert!(reason.contains("expired"), "{reason}");
    }
}

/// One second from now, ISO 8601.
fn soon() -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("formattable")
}

#[tokio::test]
async fn reads_can_be_closed_to_anonymous() {
    for app in TestApp::each_backend_with(|c| c.anonymous_read = false).await {
        let ctx = format!("{:?}", app.backend);
        app.create_feed("tools", "universal").await;
        let anonymous = app
            .anonymous(Method::GET, "/api/packages/tools/versions")
            .send()
            .await
            .expect("request");
        assert_eq!(anonymous.headers()["www-authenticate"], "Basic realm=\"Gantry\"");
        expect_status(anonymous, StatusCode::UNAUTHORIZED, &ctx).await;
        let list = app
            .anonymous(Method::GET, "/api/management/feeds/list")
            .send()
            .await
            .expect("request");
        expect_status(list, StatusCode::UNAUTHORIZED, &ctx).await;
        let admin = app
            .with_key(Method::GET, "/api/packages/tools/versions", ADMIN_KEY)
            .send()
            .await
            .expect("request");
        expect_status(admin, StatusCode::OK, &ctx).await;
    }
}
