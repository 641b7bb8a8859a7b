//! Starting and stopping the server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use gantry_store::sql::PoolSettings;
use gantry_store::{MetadataStore, NewApiKey, SqlStore};
use tokio::net::TcpListener;

use crate::auth::{keys, passwords};
use crate::config::Config;
use crate::state::AppState;

/// A server whose stores are open and whose socket is bound, ready to serve.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    store: SqlStore,
}

impl Server {
    /// Opens the stores (running migrations), clears what interrupted
    /// uploads left, creates the bootstrap key if asked to, and binds.
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
        let url = config.effective_database_url();
        let store = SqlStore::connect(&url, &PoolSettings::default())
            .await
            .with_context(|| format!("cannot open the database {}", gantry_store::sql::redact_url(&url)))?;
        let blobs = gantry_store::blob::open(
            config.blob_store.as_deref(),
            &config.s3,
            &config.data_dir,
            &config.data_dir.join("tmp"),
        )
        .await
        .context("cannot open the blob store")?;
        let leftovers = blobs.clear_staging().context("cannot clear the staging folder")?;
        if leftovers > 0 {
            tracing::info!(files = leftovers, "removed uploads left by an interrupted run");
        }
        bootstrap(&store, &config).await?;
        seed_security(&store, &config).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let state = AppState::new(config, Arc::new(store.clone()), blobs);
        Ok(Self {
            listener,
            state,
            store,
        })
    }

    /// Runs `gates` on every promotion, in order (for embedders and tests;
    /// the server has none of its own yet). Call before [`Self::serve`].
    #[must_use]
    pub fn with_promotion_gates(mut self, gates: crate::services::gates::PromotionGates) -> Self {
        self.state = self.state.with_promotion_gates(gates);
        self
    }

    /// Listens to the server's internal events (for tests and embedders).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<crate::events::Event> {
        self.state.events().subscribe()
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            store,
        } = self;
        let sweeper = tokio::spawn(sweep_periodically(state.clone()));
        let watcher = tokio::spawn(watch_security(state.clone()));
        let limits = state.config().connection_limits();
        let app = crate::api::app(state);
        tracing::info!(address = %listener.local_addr()?, "serving");
        crate::connections::serve(listener, app, limits, shutdown)
            .await
            .context("server failed")?;
        sweeper.abort();
        watcher.abort();
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

async fn bootstrap(store: &SqlStore, config: &Config) -> anyhow::Result<()> {
    let Some(secret) = &config.bootstrap_api_key else {
        return Ok(());
    };
    keys::validate_custom(secret).map_err(|e| anyhow::anyhow!("bootstrap API key: {e}"))?;
    if store.count_api_keys().await? > 0 {
        return Ok(());
    }
    store
        .create_api_key(
            &NewApiKey {
                key_hash: keys::hash(secret),
                key_type: "system".into(),
                display_name: "bootstrap".into(),
                description: "Created at first start from the bootstrap API key setting.".into(),
                system_apis: vec!["full-control".into()],
                package_permissions: vec![],
                feed_name: None,
                user_name: None,
                expires_at: None,
            },
            "SYSTEM",
        )
        .await?;
    tracing::info!("created the bootstrap system API key");
    Ok(())
}

/// Writes the first start's permissions once per database: Administrators
/// may administer; Everyone may view (unless `anonymous_read` is off); and an
/// administrator user, with the configured password or, when the server has
/// no other way in (no user, no API key), a random one printed once.
async fn seed_security(store: &SqlStore, config: &Config) -> anyhow::Result<()> {
    use gantry_store::metadata::{NewUser, SecurityDefaults, SecurityStore};

    let generated = (config.bootstrap_admin_password.is_none()
        && store.count_users().await? == 0
        && store.count_api_keys().await? == 0)
        .then(keys::generate);
    let password = config
        .bootstrap_admin_password
        .clone()
        .or_else(|| generated.clone());
    let admin = match password {
        Some(password) => {
            passwords::validate(&password).map_err(|e| anyhow::anyhow!("bootstrap admin password: {e}"))?;
            gantry_core::names::UserName::parse(&config.bootstrap_admin_user)
                .map_err(|e| anyhow::anyhow!("bootstrap admin user: {}", e.0))?;
            Some(NewUser {
                name: config.bootstrap_admin_user.clone(),
                display_name: "Administrator".into(),
                email: String::new(),
                password_hash: passwords::hash(&password).map_err(anyhow::Error::msg)?,
                disabled: false,
                groups: Vec::new(),
            })
        }
        None => None,
    };
    let defaults = SecurityDefaults {
        everyone_may_view: config.anonymous_read,
        admin,
    };
    if store.seed_security(&defaults).await? {
        if let (Some(password), Some(admin)) = (generated, &defaults.admin) {
            // Printed once, at the one start that creates it: the only way in.
            tracing::warn!(
                user = %admin.name,
                password = %password,
                "first start: created an administrator with this one-time password; sign in and change it"
            );
        } else {
            tracing::info!("first start: wrote the default permissions");
        }
    }
    Ok(())
}

/// Keeps this node's permission model current with changes made elsewhere.
async fn watch_security(state: AppState) {
    let mut ticker = tokio::time::interval(crate::auth::cache::WATCH_INTERVAL);
    loop {
        ticker.tick().await;
        state.security().check(state.meta()).await;
    }
}

/// Collects unreferenced blobs at the configured interval, on one node of
/// the cluster at a time: each run first takes the `blob-sweep` lease.
async fn sweep_periodically(state: AppState) {
    let every = Duration::from_secs(state.config().sweep_interval_secs.max(1));
    let grace = i64::try_from(state.config().blob_grace_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let lease = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    let node = format!("node-{}", keys::generate());
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        ticker.tick().await;
        let meta: Arc<dyn MetadataStore> = state.meta_handle();
        match meta.try_lease_job("blob-sweep", &node, lease).await {
            Ok(true) => {}
            Ok(false) => continue, // another node sweeps this round
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the blob sweep lease");
                continue;
            }
        }
        match gantry_store::sweep::sweep(meta.as_ref(), state.blobs(), grace).await {
            Ok(report) => tracing::info!(
                collected = report.collected,
                orphans = report.orphans,
                abandoned_uploads = report.abandoned_uploads,
                unused_registry_blobs = report.unused_registry_blobs,
                "blob sweep done"
            ),
            Err(e) => tracing::warn!(error = %e, "blob sweep failed"),
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
