//! An upstream registry as a Docker feed's connector reads it: where a
//! repository is, how to sign in, and manifests, blobs and tags fetched
//! and checked.
//!
//! **Where.** A connector's URL is a registry and an optional namespace:
//! its path, less a leading `/v2`, is put before every repository name.
//! `http://host:5000` reads repository `acme/web` at
//! `http://host:5000/v2/acme/web/…`; `http://gantry/upstream` and
//! `http://gantry/v2/upstream` both read it at
//! `http://gantry/v2/upstream/acme/web/…` (feed `upstream` of another
//! Gantry).
//!
//! **Signing in.** As Docker clients do: a request goes without
//! credentials until the upstream challenges it. A `Basic` challenge is
//! answered with the connector's user name and password (and then sent
//! up front); a `Bearer realm=…,service=…,scope=…` challenge with the token
//! flow — the realm asked for a token with those credentials as basic
//! (or none), and the token kept per repository until it expires. A
//! password without a user name is a token, sent up front as `Bearer`.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use gantry_formats::oci::{
    self, media_types, parse_manifest, Digest, ParsedManifest, Reference, MAX_MANIFEST_BYTES,
};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LINK, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::connectors::upstream::{Connector, UpstreamError};

/// The key under which a connector keeps basic credentials an upstream
/// asked for (every repository of it takes them).
const BASIC_SCOPE: &str = "basic";

/// How long basic credentials are sent up front after a `Basic` challenge.
const BASIC_TTL: Duration = Duration::from_hours(1);

/// A token's life when the token service does not say (the spec's default).
const DEFAULT_TOKEN_SECONDS: u64 = 60;

/// The largest token service answer read.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// The largest page of a tag list read.
const MAX_TAG_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// How many of the connector's timeouts a blob of unknown size may take.
const UNKNOWN_SIZE_TIMEOUTS: u32 = 20;

/// The most pages of a tag list followed.
const MAX_TAG_PAGES: usize = 10;

/// What manifests are asked for with: every type the feed stores.
fn manifest_accept() -> String {
    media_types::MANIFEST_MEDIA_TYPES.join(", ")
}

/// A connector URL read by the rule above: the registry's origin, and the
/// namespace (`""` for none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Address {
    origin: String,
    namespace: String,
}

/// Reads a connector URL, refusing a path that cannot be a namespace.
pub(super) fn address(url: &str) -> Result<Address, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let mut segments: Vec<&str> = parsed
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if segments.first() == Some(&"v2") {
        segments.remove(0);
    }
    let namespace = segments.join("/");
    if !namespace.is_empty() {
        oci::validate_repository(&namespace).map_err(|e| {
            format!(
                "a Docker connector's address is a registry (http://host:port), optionally with a \
                 namespace put before repository names (http://host:port/namespace); \
                 '/{namespace}' is not a namespace: {}",
                e.0
            )
        })?;
    }
    Ok(Address {
        origin: parsed.origin().ascii_serialization(),
        namespace,
    })
}

/// A challenge of a `WWW-Authenticate` header: its scheme (lower case) and
/// parameters.
#[derive(Debug, Default, PartialEq, Eq)]
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// Reads `Scheme key="value",key=value`; quoted values may hold commas.
    fn parse(text: &str) -> Self {
        let text = text.trim();
        let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
        let mut params = Vec::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.next_if(|c| *c == ' ' || *c == ',').is_some() {}
            let mut key = String::new();
            while let Some(c) = chars.next_if(|c| *c != '=') {
                key.push(c);
            }
            if chars.next() != Some('=') {
                break;
            }
            let value = if chars.next_if_eq(&'"').is_some() {
                let mut quoted = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => quoted.extend(chars.next()),
                        '"' => break,
                        c => quoted.push(c),
                    }
                }
                quoted
            } else {
                let mut raw = String::new();
                while let Some(c) = chars.next_if(|c| *c != ',') {
                    raw.push(c);
                }
                raw.trim().to_owned()
            };
            params.push((key.trim().to_ascii_lowercase(), value));
        }
        Self {
            scheme: scheme.to_ascii_lowercase(),
            params,
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// A manifest fetched from an upstream, its bytes checked against its digest.
pub(super) struct FetchedManifest {
    /// Its bytes, exactly as served.
    pub bytes: Bytes,
    /// Its digest: the one asked for, or the upstream's
    /// `Docker-Content-Digest` (else the bytes' SHA-256) when asked by tag.
    pub digest: Digest,
    /// What it says.
    pub parsed: ParsedManifest,
}

/// One repository at one connector's upstream.
pub(super) struct UpstreamRepository<'a> {
    connector: &'a Connector,
    /// `{origin}/v2/{namespace/}{repository}`.
    base: String,
    /// The key its token is kept under.
    scope: String,
}

impl<'a> UpstreamRepository<'a> {
    /// `repository` of the feed at the connector's upstream.
    pub fn new(connector: &'a Connector, repository: &str) -> Result<Self, UpstreamError> {
        let address = address(&connector.settings().url).map_err(UpstreamError::Malformed)?;
        let path = if address.namespace.is_empty() {
            repository.to_owned()
        } else {
            format!("{}/{repository}", address.namespace)
        };
        Ok(Self {
            connector,
            base: format!("{}/v2/{path}", address.origin),
            scope: format!("repository:{path}:pull"),
        })
    }

    /// The URL of a manifest.
    pub fn manifest_url(&self, reference: &str) -> String {
        format!("{}/manifests/{reference}", self.base)
    }

    fn blob_url(&self, digest: &Digest) -> String {
        format!("{}/blobs/{digest}", self.base)
    }

    /// The connector's user name and password as a basic `Authorization`.
    fn basic(&self) -> Option<HeaderValue> {
        let settings = self.connector.settings();
        let user = settings.username.as_deref().filter(|u| !u.is_empty())?;
        let password = settings.password.as_deref().unwrap_or_default();
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// What to send up front: a kept token or basic credentials, or a
    /// password alone as a token.
    fn kept_authorization(&self) -> Option<HeaderValue> {
        if let Some(kept) = self
            .connector
            .authorization(&self.scope)
            .or_else(|| self.connector.authorization(BASIC_SCOPE))
        {
            return Some(kept);
        }
        let settings = self.connector.settings();
        if settings.username.as_deref().unwrap_or_default().is_empty() {
            let token = settings.password.as_deref().filter(|p| !p.is_empty())?;
            let mut value = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
            value.set_sensitive(true);
            return Some(value);
        }
        None
    }

    /// Sends a request, answering one challenge (see the module's notes).
    /// Every status comes back as the upstream answered it.
    /// `timeout`, when given, replaces the connector's.
    async fn send(
        &self,
        method: &Method,
        url: &str,
        accept: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, UpstreamError> {
        let mut authorization = self.kept_authorization();
        let mut answered = false;
        loop {
            let mut request = self.connector.request_without_credentials(method.clone(), url);
            if let Some(timeout) = timeout {
                request = request.timeout(timeout);
            }
            if let Some(accept) = accept {
                request = request.header(ACCEPT, accept);
            }
            if let Some(value) = &authorization {
                request = request.header(AUTHORIZATION, value.clone());
            }
            let response = request.send().await.map_err(|e| self.connector.classify(&e))?;
            if response.status() != StatusCode::UNAUTHORIZED || answered {
                return Ok(response);
            }
            answered = true;
            if authorization.is_some() {
                // A kept token expired early, or credentials changed upstream.
                self.connector.forget_authorization(&self.scope);
                self.connector.forget_authorization(BASIC_SCOPE);
            }
            let challenge = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(Challenge::parse)
                .unwrap_or_default();
            authorization = Some(self.answer(&challenge).await?);
        }
    }

    /// The `Authorization` that answers a challenge, kept for next time.
    async fn answer(&self, challenge: &Challenge) -> Result<HeaderValue, UpstreamError> {
        match challenge.scheme.as_str() {
            "bearer" => {
                let realm = challenge.param("realm").ok_or_else(|| {
                    UpstreamError::Malformed("the upstream's bearer challenge names no realm".into())
                })?;
                let scope = challenge.param("scope").unwrap_or(&self.scope);
                let (token, ttl) = self.token(realm, challenge.param("service"), scope).await?;
                let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                    UpstreamError::Malformed(
                        "the token service sent a token that is not a header value".into(),
                    )
                })?;
                value.set_sensitive(true);
                self.connector.keep_authorization(&self.scope, value.clone(), ttl);
                Ok(value)
            }
            "basic" => {
                let value = self.basic().ok_or(UpstreamError::Status(401))?;
                self.connector
                    .keep_authorization(BASIC_SCOPE, value.clone(), BASIC_TTL);
                Ok(value)
            }
            _ => Err(UpstreamError::Status(401)),
        }
    }

    /// Asks the token service `realm` for a token (with the connector's
    /// credentials as basic, when it has a user name); the token and how
    /// long to keep it.
    async fn token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<(String, Duration), UpstreamError> {
        #[derive(Deserialize)]
        struct Answer {
            token: Option<String>,
            access_token: Option<String>,
            expires_in: Option<u64>,
        }
        let mut url = reqwest::Url::parse(realm)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                UpstreamError::Malformed(format!("the token realm '{realm}' is not an http(s) URL"))
            })?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            query.append_pair("scope", scope);
        }
        let mut request = self
            .connector
            .request_without_credentials(Method::GET, url.as_str())
            .header(ACCEPT, "application/json");
        if let Some(basic) = self.basic() {
            request = request.header(AUTHORIZATION, basic);
        }
        let response = request.send().await.map_err(|e| self.connector.classify(&e))?;
        if !response.status().is_success() {
            return Err(UpstreamError::Status(response.status().as_u16()));
        }
        let body = self
            .read(response, MAX_TOKEN_BYTES, "the token service's answer")
            .await?;
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|e| UpstreamError::Malformed(format!("the token service's answer: {e}")))?;
        let token = answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| UpstreamError::Malformed("the token service's answer holds no token".into()))?;
        // Renewed a little before it ends.
        let seconds = answer.expires_in.unwrap_or(DEFAULT_TOKEN_SECONDS).max(1);
        Ok((token, Duration::from_secs(seconds - seconds / 10)))
    }

    /// Reads a body of at most `limit` bytes.
    async fn read(
        &self,
        mut response: reqwest::Response,
        limit: usize,
        what: &str,
    ) -> Result<Bytes, UpstreamError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.connector.classify(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(UpstreamError::Malformed(format!(
                    "{what} is larger than {limit} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }

    /// A manifest by tag or digest, checked; `None` when the upstream does
    /// not have it.
    pub async fn manifest(&self, reference: &Reference) -> Result<Option<FetchedManifest>, UpstreamError> {
        let url = self.manifest_url(&reference.to_string());
        let response = self
            .send(&Method::GET, &url, Some(&manifest_accept()), None)
            .await?;
        let Some(response) = found(response)? else {
            return Ok(None);
        };
        let content_type =
            header_text(response.headers(), CONTENT_TYPE.as_str()).filter(|t| oci::is_manifest_media_type(t));
        let claimed = header_text(response.headers(), "docker-content-digest");
        let bytes = self.read(response, MAX_MANIFEST_BYTES, &url).await?;
        let digest = match reference {
            Reference::Digest(digest) => digest.clone(),
            Reference::Tag(_) => match &claimed {
                Some(text) => Digest::parse(text).map_err(|e| {
                    UpstreamError::Malformed(format!("{url}: its Docker-Content-Digest '{text}': {}", e.0))
                })?,
                None => Digest::sha256_of(&bytes),
            },
        };
        if !digest.verify(&bytes) {
            return Err(UpstreamError::Malformed(format!(
                "{url} served a manifest whose digest is {}, not {digest}",
                Digest::of(digest.algorithm(), &bytes)
            )));
        }
        let parsed = parse_manifest(&bytes, content_type.as_deref())
            .map_err(|e| UpstreamError::Malformed(format!("{url}: {}", e.0)))?;
        Ok(Some(FetchedManifest {
            bytes,
            digest,
            parsed,
        }))
    }

    /// A blob's answer (`GET` or `HEAD`), its bytes unread; `None` when the
    /// upstream does not have it. The connector's timeout bounds a whole
    /// request, body included, so a blob gets one more second per MiB of
    /// its `size` (a floor of 1 MiB/s), or [`UNKNOWN_SIZE_TIMEOUTS`] times
    /// the timeout when its size is not known.
    pub async fn blob(
        &self,
        method: &Method,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<Option<reqwest::Response>, UpstreamError> {
        let timeout = Duration::from_secs(u64::from(self.connector.settings().timeout_secs.max(1)));
        let timeout = match size {
            Some(size) => timeout + Duration::from_secs(size.div_ceil(1024 * 1024)),
            None => timeout * UNKNOWN_SIZE_TIMEOUTS,
        };
        let response = self
            .send(method, &self.blob_url(digest), None, Some(timeout))
            .await?;
        found(response)
    }

    /// The repository's tags, following the upstream's pages (at most
    /// [`MAX_TAG_PAGES`]); empty when it does not have the repository.
    pub async fn tags(&self) -> Result<Vec<String>, UpstreamError> {
        #[derive(Deserialize)]
        struct TagList {
            tags: Option<Vec<String>>,
        }
        let mut url = format!("{}/tags/list", self.base);
        let mut tags = Vec::new();
        for _ in 0..MAX_TAG_PAGES {
            let response = self
                .send(&Method::GET, &url, Some("application/json"), None)
                .await?;
            let Some(response) = found(response)? else {
                break;
            };
            let next = next_page(response.headers(), &url);
            let body = self.read(response, MAX_TAG_PAGE_BYTES, &url).await?;
            let list: TagList =
                serde_json::from_slice(&body).map_err(|e| UpstreamError::Malformed(format!("{url}: {e}")))?;
            tags.extend(list.tags.unwrap_or_default());
            match next {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok(tags)
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The response when it is a success; `None` for 404 and 410 (the
/// upstream does not have it, which is an answer, not a failure).
fn found(response: reqwest::Response) -> Result<Option<reqwest::Response>, UpstreamError> {
    match response.status() {
        StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
        status if status.is_success() => Ok(Some(response)),
        status => Err(UpstreamError::Status(status.as_u16())),
    }
}

/// The next page a `Link: <…>; rel="next"` header names, on the same
/// origin as `current` (credentials go nowhere else).
fn next_page(headers: &HeaderMap, current: &str) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    let (target, params) = link.split_once(';')?;
    if !params.contains("rel=\"next\"") && !params.contains("rel=next") {
        return None;
    }
    let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
    let current = reqwest::Url::parse(current).ok()?;
    let next = current.join(target).ok()?;
    (next.origin() == current.origin()).then(|| next.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_urls_name_a_registry_and_a_namespace() {
        let plain = address("http://127.0.0.1:5000").expect("plain");
        assert_eq!(
            plain,
            Address {
                origin: "http://127.0.0.1:5000".into(),
                namespace: String::new()
            }
        );
        assert_eq!(address("http://127.0.0.1:5000/").expect("slash"), plain);
        assert_eq!(address("http://127.0.0.1:5000/v2/").expect("v2"), plain);
        let feed = address("https://gantry.example/upstream").expect("feed");
        assert_eq!(feed.origin, "https://gantry.example");
        assert_eq!(feed.namespace, "upstream");
        assert_eq!(
            address("https://gantry.example/v2/upstream/").expect("v2 feed"),
            feed
        );
        assert_eq!(
            address("http://h/v2/team/images").expect("deep").namespace,
            "team/images"
        );
        let refused = address("http://h/Upper Case").expect_err("not a namespace");
        assert!(refused.contains("namespace"), "{refused}");
    }

    #[test]
    fn challenges_are_read_with_quoted_commas() {
        let challenge = Challenge::parse(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:acme/web:pull,push""#,
        );
        assert_eq!(challenge.scheme, "bearer");
        assert_eq!(challenge.param("realm"), Some("https://auth.example/token"));
        assert_eq!(challenge.param("service"), Some("registry.example"));
        assert_eq!(challenge.param("scope"), Some("repository:acme/web:pull,push"));
        let basic = Challenge::parse(r#"Basic realm="gantry-test""#);
        assert_eq!(basic.scheme, "basic");
        assert_eq!(basic.param("realm"), Some("gantry-test"));
        let bare = Challenge::parse("Bearer realm=https://a/t, service=x");
        assert_eq!(bare.param("realm"), Some("https://a/t"));
        assert_eq!(bare.param("service"), Some("x"));
        assert_eq!(Challenge::parse("").scheme, "");
    }

    #[test]
    fn tag_pages_follow_links_on_the_same_origin_only() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LINK,
            HeaderValue::from_static(r#"</v2/acme/web/tags/list?n=2&last=b>; rel="next""#),
        );
        assert_eq!(
            next_page(&headers, "http://up:5000/v2/acme/web/tags/list").as_deref(),
            Some("http://up:5000/v2/acme/web/tags/list?n=2&last=b")
        );
        headers.insert(
            LINK,
            HeaderValue::from_static(r#"<http://elsewhere/v2/x/tags/list>; rel="next""#),
        );
        assert_eq!(next_page(&headers, "http://up:5000/v2/acme/web/tags/list"), None);
    }
}
