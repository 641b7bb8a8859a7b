//! A cookie-keeping client for the web UI's pages, as a browser would use
//! them: sign in through the form, then send forms with their CSRF token.
//! Redirects are not followed, so tests see each `303` and its `Location`.

use reqwest::{redirect, Method, Response, StatusCode};
use serde_json::json;

use crate::TestApp;

/// A browser-like client bound to one server.
pub struct Browser {
    client: reqwest::Client,
    base: String,
}

/// The value of the first `name="csrf"` hidden field of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    html.find(marker)
        .map(|start| {
            let rest = &html[start + marker.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_owned()
        })
        .unwrap_or_default()
}

impl Browser {
    /// A fresh browser (no cookies) for `app`.
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.url(""))
    }

    /// A fresh browser (no cookies) for the server at `base`.
    pub fn at(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .no_gzip()
            .build()
            .expect("client");
        Self {
            client,
            base: base.to_owned(),
        }
    }

    /// The same browser (its cookies) pointed at another server on this
    /// host, as a load balancer would send it to another node.
    #[must_use]
    pub fn same_browser_at(&self, base: &str) -> Self {
        Self {
            client: self.client.clone(),
            base: base.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base.trim_end_matches('/'), path)
    }

    /// A raw request, for tests that forge one.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// GETs a page: its status and body.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self.client.get(self.url(path)).send().await.expect("GET");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    /// GETs a page that must answer 200; its body.
    pub async fn page(&self, path: &str) -> String {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// POSTs a form as the browser would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// POSTs a form with the CSRF token of the page at `form_page`.
    pub async fn submit(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = csrf_of(&self.page(form_page).await);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    /// Signs in through the form; the answer (303 on success).
    pub async fn sign_in(&self, user: &str, password: &str) -> Response {
        let csrf = csrf_of(&self.page("/signin").await);
        self.post_form(
            "/signin",
            &[
                ("csrf", &csrf),
                ("username", user),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    /// Signs in, asserting it works.
    pub async fn signed_in(app: &TestApp, user: &str, password: &str) -> Self {
        let browser = Self::new(app);
        let response = browser.sign_in(user, password).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in of {user}");
        browser
    }
}

/// The location a `303` points to.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The `Set-Cookie` header that sets the session cookie, whole (with its
/// attributes), if the response has one.
pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gantry_session="))
        .map(str::to_owned)
}

/// Creates a user with a password (through the API, as the admin key).
pub async fn create_user(app: &TestApp, name: &str, password: &str, groups: &[&str]) {
    let response = app
        .admin(Method::POST, "/api/security/users/add")
        .json(&json!({"name": name, "password": password, "groups": groups}))
        .send()
        .await
        .expect("add user");
    assert!(
        response.status().is_success(),
        "add user {name}: {}",
        response.text().await.unwrap_or_default()
    );
}

/// Grants a built-in or custom task to a user, on one feed or all.
pub async fn grant(app: &TestApp, user: &str, task: &str, feed: Option<&str>) {
    let response = app
        .admin(Method::POST, "/api/security/permissions/add")
        .json(&json!({"user": user, "task": task, "feed": feed}))
        .send()
        .await
        .expect("add permission");
    assert!(
        response.status().is_success(),
        "grant {task} to {user}: {}",
        response.text().await.unwrap_or_default()
    );
}
