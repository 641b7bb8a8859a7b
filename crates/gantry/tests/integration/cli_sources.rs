//! `gantry sources`, `gantry health`, completions and exit codes.

use gantry_store::sql::Backend;
use gantry_test_support::{TestApp, ADMIN_KEY};
use serde_json::json;

use crate::cli_support::GantryCli;

#[tokio::test]
async fn sources_are_kept_privately_and_used_by_default() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let cli = GantryCli::new();
    // No source yet: a usage error that says what to do.
    let none = cli.run(&["health"]).await;
    assert_eq!(none.code, 2, "{none:?}");
    assert!(none.stderr.contains("gantry sources add"), "{none:?}");

    let url = app.url("");
    cli.run(&[
        "sources",
        "add",
        "--name=Default",
        &format!("--url={url}"),
        &format!("--api-key={ADMIN_KEY}"),
        "--feed=approved",
    ])
    .await
    .ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(cli.config_file())
            .expect("config")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let listed = cli.run(&["sources", "list", "--json"]).await.json();
    assert_eq!(
        listed,
        json!([{"name": "Default", "url": url, "feed": "approved", "authentication": "api key", "username": null}])
    );
    let table = cli.run(&["sources", "list"]).await;
    assert!(
        !table.ok().contains(ADMIN_KEY),
        "secrets are never printed: {table:?}"
    );

    let health = cli.run(&["health", "--json"]).await.json();
    assert_eq!(health["status"], "ok");
    let tested = cli.run(&["sources", "test", "--json"]).await.json();
    assert_eq!(tested["status"], "ok");

    // A wrong key: exit code 3, the server's reason shown.
    let refused = cli.run(&["sources", "test", "--api-key=wrong"]).await;
    assert_eq!(refused.code, 3, "{refused:?}");
    // --source may be a URL; an unreachable server is exit code 7.
    let unreachable = cli.run(&["health", "--source=http://127.0.0.1:9"]).await;
    assert_eq!(unreachable.code, 7, "{unreachable:?}");
    // An unknown source name: usage.
    assert_eq!(cli.run(&["health", "--source=nope"]).await.code, 2);

    cli.run(&["sources", "remove", "--name=Default"]).await.ok();
    assert_eq!(cli.run(&["sources", "remove", "--name=Default"]).await.code, 4);
    assert_eq!(cli.run(&["sources", "list", "--json"]).await.json(), json!([]));
}

#[tokio::test]
async fn a_pgutil_configuration_is_imported() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let cli = GantryCli::new();
    let pgutil = cli.config_home().join("pgutil");
    std::fs::create_dir_all(&pgutil).expect("dir");
    let config = json!({"sources": [
        {"name": "Default", "url": app.url(""), "defaultFeed": "main", "token": ADMIN_KEY},
        {"name": "ci", "url": "http://ci.example", "username": "ci", "password": "pw"},
    ]});
    std::fs::write(pgutil.join("pgutil.config"), config.to_string()).expect("write");
    let imported = cli.run(&["sources", "import-pgutil", "--json"]).await.json();
    assert_eq!(imported, json!({"imported": ["Default", "ci"]}));
    let listed = cli.run(&["sources", "list", "--json"]).await.json();
    assert_eq!(listed[0]["feed"], "main");
    assert_eq!(listed[1]["authentication"], "user ci");
    // The imported key works.
    assert_eq!(
        cli.run(&["sources", "test", "--json"]).await.json()["status"],
        "ok"
    );
}

#[tokio::test]
async fn completions_are_printed_for_each_shell() {
    let cli = GantryCli::new();
    for (shell, marker) in [
        ("bash", "_gantry"),
        ("zsh", "#compdef gantry"),
        ("fish", "complete -c gantry"),
    ] {
        let script = cli.run(&["completions", shell]).await;
        assert!(
            script.ok().contains(marker),
            "{shell}: {}",
            &script.stdout[..200.min(script.stdout.len())]
        );
        assert!(script.stdout.contains("sources"), "{shell}");
    }
    assert_eq!(cli.run(&["completions", "tcsh"]).await.code, 2);
}

#[tokio::test]
async fn health_prints_a_table_for_people() {
    let app = TestApp::spawn(Backend::Sqlite, |_| {}).await;
    let cli = GantryCli::for_app(&app).await;
    let table = cli.run(&["health"]).await;
    let lines: Vec<&str> = table.ok().lines().collect();
    assert_eq!(lines.len(), 2, "{table:?}");
    assert!(
        lines[0].starts_with("SERVER") && lines[0].contains("STATUS"),
        "{table:?}"
    );
    assert!(
        lines[1].starts_with(&app.url("")) && lines[1].contains("ok"),
        "{table:?}"
    );
}
