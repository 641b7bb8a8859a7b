//! The promotion-gate hook: gates run after the built-in rules, inside the
//! same decision; every verdict is recorded in the history, and a refusal
//! copies nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use gantry_server::error::ApiResult;
use gantry_server::services::gates::{PromotionCandidate, PromotionGate, PromotionGates, Verdict};
use gantry_server::state::AppState;
use gantry_test_support::{upack, Backend, TestApp, ADMIN_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Refuses packages named `forbidden-*`; passes the rest, naming the
/// target feed (it sees the whole candidate).
struct NamePolicy;

#[async_trait]
impl PromotionGate for NamePolicy {
    fn name(&self) -> &'static str {
        "name-policy"
    }

    async fn check(&self, _state: &AppState, candidate: &PromotionCandidate<'_>) -> ApiResult<Verdict> {
        Ok(if candidate.package.name.starts_with("forbidden-") {
            Verdict::Refused(format!("{} is on the deny list", candidate.package.name))
        } else {
            Verdict::Passed(format!("allowed into {}", candidate.to.settings.name))
        })
    }
}

/// Passes everything and counts how often it was asked.
struct Counting(Arc<AtomicUsize>);

#[async_trait]
impl PromotionGate for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }

    async fn check(&self, _state: &AppState, _candidate: &PromotionCandidate<'_>) -> ApiResult<Verdict> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Verdict::Passed("counted".into()))
    }
}

async fn promote(app: &TestApp, name: &str, to: &str) -> (StatusCode, String) {
    let response = app
        .admin(Method::POST, "/api/promotions/promote")
        .json(
            &json!({"fromFeed": "dev", "toFeed": to, "group": "acme", "name": name,
                      "version": "1.0.0", "comments": "release"}),
        )
        .send()
        .await
        .expect("request");
    (response.status(), response.text().await.expect("body"))
}

/// Runs the scenario on one backend (one test per backend below).
async fn scenario(backend: Backend) {
    let asked = Arc::new(AtomicUsize::new(0));
    let gates: PromotionGates = Arc::new([
        Arc::new(NamePolicy) as Arc<dyn PromotionGate>,
        Arc::new(Counting(Arc::clone(&asked))),
    ]);
    let app = TestApp::spawn_with_gates(backend, |_| {}, gates).await;
    let ctx = format!("{backend:?}");
    app.create_feed("dev", "universal").await;
    app.create_feed("prod", "universal").await;
    app.create_feed("npms", "npm").await;
    for name in ["hammer", "forbidden-saw"] {
        let (status, body) = app
            .upload_upack("dev", ADMIN_KEY, upack("acme", name, "1.0.0", name.as_bytes()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ctx}: {body}");
    }

    // Passed: promoted, both verdicts in the `promoted` event.
    let (status, body) = promote(&app, "hammer", "prod").await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {body}");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "{ctx}");
    let history = app
        .admin_json("/api/packages/prod/history?group=acme&name=hammer&version=1.0.0")
        .await;
    let promoted = history
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["action"] == "promoted")
        .unwrap_or_else(|| panic!("{ctx}: no promoted event in {history}"));
    assert_eq!(
        promoted["details"]["gates"],
        json!([
            {"gate": "name-policy", "passed": true, "reason": "allowed into prod"},
            {"gate": "counting", "passed": true, "reason": "counted"}
        ]),
        "{ctx}: {promoted}"
    );

    // Refused: 403 with the gate's reason, nothing copied, the later
    // gate not asked, the refusal in the source version's history.
    let (status, body) = promote(&app, "forbidden-saw", "prod").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}: {body}");
    assert!(
        body.contains("name-policy") && body.contains("forbidden-saw is on the deny list"),
        "{ctx}: {body}"
    );
    assert_eq!(
        asked.load(Ordering::SeqCst),
        1,
        "{ctx}: the second gate is not asked"
    );
    let prod: Value = app
        .admin_json("/api/packages/prod/versions?name=forbidden-saw&group=acme")
        .await;
    assert_eq!(prod, json!([]), "{ctx}: nothing copied");
    let promotions = app.admin_json("/api/promotions/list?toFeed=prod").await;
    assert_eq!(
        promotions.as_array().map(Vec::len),
        Some(1),
        "{ctx}: {promotions}"
    );
    let history = app
        .admin_json("/api/packages/dev/history?group=acme&name=forbidden-saw&version=1.0.0")
        .await;
    let refused = history
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["action"] == "promotion-refused")
        .unwrap_or_else(|| panic!("{ctx}: no refusal in {history}"));
    assert_eq!(refused["feed"], "dev", "{ctx}: {refused}");
    assert_eq!(refused["details"]["toFeed"], "prod", "{ctx}: {refused}");
    assert_eq!(refused["details"]["comments"], "release", "{ctx}: {refused}");
    assert_eq!(
        refused["details"]["gates"],
        json!([{"gate": "name-policy", "passed": false, "reason": "forbidden-saw is on the deny list"}]),
        "{ctx}: {refused}"
    );

    // The built-in rules come first: a promotion across package types
    // is refused by them, and no gate is asked.
    let (status, body) = promote(&app, "hammer", "npms").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{ctx}: {body}");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "{ctx}");
    app.stop().await;
}

/// One test per backend, as the suites' `backend_test!` names them.
mod gates_decide_after_the_built_in_rules_and_their_verdicts_are_history {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        scenario(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        if gantry_store::testing::backends().contains(&Backend::Postgres) {
            scenario(Backend::Postgres).await;
        } else {
            eprintln!("skipped: the Postgres backend is not configured for this run");
        }
    }
}
