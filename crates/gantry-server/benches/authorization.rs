//! Authorization cost, printed: how long the permission decision takes on a
//! node's cached model with 1,000 users, 100 groups and 5,000 permission
//! rules, how long a whole authentication + decision takes for a personal
//! API key (one indexed key look-up in SQLite), and how long rebuilding the
//! model after a change takes.
//!
//! Target (issue "Security"): authorization adds under 50 µs p50 per request.
//! Run: `cargo bench -p gantry-server --bench authorization`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gantry_core::{Attribute, FeedType, FeedUsage};
use gantry_server::auth::credentials::{Credential, Presented};
use gantry_server::auth::{keys, passwords, Caller};
use gantry_server::state::AppState;
use gantry_server::Config;
use gantry_store::metadata::{NewPermission, NewUser, PermissionSubject, SecurityStore};
use gantry_store::sql::PoolSettings;
use gantry_store::{FeedRecord, FeedSettings, MetadataStore, NewApiKey, SqlStore};
use rand::{Rng, SeedableRng};

const USERS: usize = 1000;
const GROUPS: usize = 100;
const RULES: usize = 5000;
const FEEDS: usize = 100;
const DECISIONS: usize = 200_000;
const AUTHENTICATIONS: usize = 20_000;

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() - 1) * percent / 100]
}

fn report(what: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let p50 = percentile(&samples, 50);
    println!(
        "{what}: p50 {:.2} µs, p90 {:.2} µs, p99 {:.2} µs ({} samples)",
        p50.as_secs_f64() * 1e6,
        percentile(&samples, 90).as_secs_f64() * 1e6,
        percentile(&samples, 99).as_secs_f64() * 1e6,
        samples.len()
    );
    p50
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let store = SqlStore::connect(&config.effective_database_url(), &PoolSettings::default()).await?;
    let blobs = gantry_store::blob::open(None, &config.s3, dir.path(), &dir.path().join("tmp")).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);

    let seeding = Instant::now();
    let mut feeds: Vec<FeedRecord> = Vec::new();
    for i in 0..FEEDS {
        feeds.push(
            store
                .create_feed(&FeedSettings {
                    name: format!("feed-{i}"),
                    feed_type: FeedType::Universal,
                    description: String::new(),
                    active: true,
                    usage: FeedUsage::Mixed,
                    promote_to_feed_id: None,
                    deployment_records_enabled: true,
                    alternate_names: vec![],
                    allow_direct_uploads: false,
                    connectors: Vec::new(),
                    cache_connectors: true,
                    offline: false,
                    immutable_tags: false,
                })
                .await?,
        );
    }
    for g in 0..GROUPS {
        store.create_group(&format!("group {g}"), &[], "bench").await?;
    }
    let hash = passwords::hash("bench-password").map_err(anyhow::Error::msg)?;
    for u in 0..USERS {
        // Each user in five groups.
        let groups = (0..5)
            .map(|_| format!("group {}", rng.random_range(0..GROUPS)))
            .collect();
        let mut groups: Vec<String> = groups;
        groups.sort();
        groups.dedup();
        store
            .create_user(
                &NewUser {
                    name: format!("user{u}"),
                    display_name: String::new(),
                    email: String::new(),
                    password_hash: hash.clone(),
                    disabled: false,
                    groups,
                },
                "bench",
            )
            .await?;
    }
    let tasks = [
        "View & Download Packages",
        "Publish Packages",
        "Promote Packages",
        "Manage Feed",
    ];
    for _ in 0..RULES {
        let subject = if rng.random_bool(0.5) {
            PermissionSubject::User(format!("user{}", rng.random_range(0..USERS)))
        } else {
            PermissionSubject::Group(format!("group {}", rng.random_range(0..GROUPS)))
        };
        let feed = rng
            .random_bool(0.8)
            .then(|| format!("feed-{}", rng.random_range(0..FEEDS)));
        store
            .add_permission(
                &NewPermission {
                    subject,
                    task: tasks[rng.random_range(0..tasks.len())].to_owned(),
                    feed,
                    deny: rng.random_bool(0.1),
                },
                "bench",
            )
            .await?;
    }
    let mut secrets = Vec::new();
    for u in 0..100 {
        let secret = keys::generate();
        store
            .create_api_key(
                &NewApiKey {
                    key_hash: keys::hash(&secret),
                    key_type: "personal".into(),
                    display_name: String::new(),
                    description: String::new(),
                    system_apis: vec![],
                    package_permissions: vec![],
                    feed_name: None,
                    user_name: Some(format!("user{}", u * 10)),
                    expires_at: None,
                },
                "bench",
            )
            .await?;
        secrets.push(secret);
    }
    println!(
        "seeded {USERS} users, {GROUPS} groups, {RULES} permission rules, {FEEDS} feeds in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let state = AppState::new(config, Arc::new(store.clone()), blobs);
    let attributes = [
        Attribute::ViewPackages,
        Attribute::DownloadPackages,
        Attribute::AddPackage,
        Attribute::PromotePackage,
        Attribute::DeletePackage,
    ];

    // Rebuilding the model after a change (the first request after it pays this).
    let mut rebuilds = Vec::new();
    for _ in 0..20 {
        state.security().invalidate();
        let start = Instant::now();
        state.security().model(state.meta()).await?;
        rebuilds.push(start.elapsed());
    }
    report("model rebuild after a change", rebuilds);

    // The decision alone, on the cached model: what every request adds.
    let mut callers = Vec::new();
    for secret in &secrets {
        let presented = Presented {
            credential: Some(Credential::ApiKey(secret.clone())),
            address: None,
        };
        callers.push(
            Caller::authenticate(&state, presented)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?,
        );
    }
    let mut decisions = Vec::with_capacity(DECISIONS);
    let mut allowed = 0usize;
    for i in 0..DECISIONS {
        let caller = &callers[i % callers.len()];
        let feed = &feeds[rng.random_range(0..FEEDS)];
        let attribute = attributes[i % attributes.len()];
        let start = Instant::now();
        let ok = state.may(caller, attribute, Some(feed));
        decisions.push(start.elapsed());
        allowed += usize::from(ok);
    }
    let decision_p50 = report("authorize (cached model, per check)", decisions);
    println!("  ({allowed} of {DECISIONS} checks allowed)");

    // Authentication of a personal key (hash + indexed look-up) and one decision.
    let mut whole = Vec::with_capacity(AUTHENTICATIONS);
    for i in 0..AUTHENTICATIONS {
        let presented = Presented {
            credential: Some(Credential::ApiKey(secrets[i % secrets.len()].clone())),
            address: None,
        };
        let feed = &feeds[i % FEEDS];
        let start = Instant::now();
        let caller = Caller::authenticate(&state, presented)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        let _ = state.may(&caller, Attribute::DownloadPackages, Some(feed));
        whole.push(start.elapsed());
    }
    report("authenticate personal key + authorize (SQLite look-up)", whole);

    let target = Duration::from_micros(50);
    println!(
        "target: authorization adds under 50 µs p50 -> {} ({:.2} µs)",
        if decision_p50 < target { "met" } else { "NOT met" },
        decision_p50.as_secs_f64() * 1e6
    );
    store.close().await;
    Ok(())
}
