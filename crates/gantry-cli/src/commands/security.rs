//! `gantry security ...`: users, groups and permissions.
//!
//! As in pgutil, `security users` commands take the managed user's name and
//! password as `--username` and `--password`; those commands then sign in
//! with `--api-key` or the source's stored credentials.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::client::Client;
use crate::error::{CliError, CliResult};
use crate::output::{joined, print_json, print_table, report, text, Table};
use crate::GlobalArgs;

/// The `security` commands.
#[derive(Subcommand, Debug)]
pub enum SecurityCommand {
    /// Manage users (`--username`/`--password` name the managed user here).
    #[command(
        after_help = "Examples:\n  gantry security users list\n  gantry security users create --username=jsmith --password=PW --display-name=\"John Smith\" --api-key=ADMIN_KEY"
    )]
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage groups and their members.
    #[command(
        after_help = "Examples:\n  gantry security groups create --name=Developers\n  gantry security groups members add --name=Developers --member=jsmith"
    )]
    Groups {
        #[command(subcommand)]
        command: GroupsCommand,
    },
    /// Grant, deny and remove permissions.
    #[command(
        after_help = "Examples:\n  gantry security permissions list\n  gantry security permissions add --task=\"Promote Packages\" --group=Developers --feed=approved"
    )]
    Permissions {
        #[command(subcommand)]
        command: PermissionsCommand,
    },
}

/// The `security users` commands.
#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// List users.
    #[command(after_help = "Examples:\n  gantry security users list\n  gantry security users list --json")]
    List,
    /// Show one user.
    #[command(after_help = "Example:\n  gantry security users show --username=jsmith")]
    Show {
        /// The user (instead of --username).
        #[arg(long)]
        name: Option<String>,
    },
    /// Create a user; --password gives the new user's password.
    #[command(
        after_help = "Here --username and --password name the managed user and set their password; the command signs in with --api-key or the source's credentials.\n\nExamples:\n  gantry security users create --username=jsmith --displayname=\"John Smith\" --email=jsmith@example.com --password=S3cret-pw\n  gantry security users create --username=ci --password=S3cret-pw --group=Developers --api-key=ADMINKEY"
    )]
    Create {
        /// The user (instead of --username).
        #[arg(long)]
        name: Option<String>,
        /// Shown instead of the name.
        #[arg(long = "displayname", visible_alias = "display-name")]
        display_name: Option<String>,
        /// Contact address.
        #[arg(long)]
        email: Option<String>,
        /// A group to put the user in; repeat for more.
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    /// Change a user: display name, e-mail, password (--password), disabled.
    #[command(
        after_help = "Here --username and --password name the managed user and set their password; the command signs in with --api-key or the source's credentials.\n\nExamples:\n  gantry security users edit --username=jsmith --password=N3w-password\n  gantry security users edit --username=jsmith --displayname=\"J. Smith\" --email=j@example.com\n  gantry security users edit --username=leaver --disabled=true"
    )]
    Edit {
        /// The user (instead of --username).
        #[arg(long)]
        name: Option<String>,
        /// Shown instead of the name.
        #[arg(long = "displayname", visible_alias = "display-name")]
        display_name: Option<String>,
        /// Contact address.
        #[arg(long)]
        email: Option<String>,
        /// Whether the user is disabled (true or false).
        #[arg(long)]
        disabled: Option<bool>,
    },
    /// Delete a user, with their memberships, permissions and personal keys.
    #[command(after_help = "Example:\n  gantry security users delete --username=jsmith")]
    Delete {
        /// The user (instead of --username).
        #[arg(long)]
        name: Option<String>,
    },
}

/// The `security groups` commands.
#[derive(Subcommand, Debug)]
pub enum GroupsCommand {
    /// List groups with their members.
    #[command(after_help = "Examples:\n  gantry security groups list\n  gantry security groups list --json")]
    List,
    /// Create a group.
    #[command(
        after_help = "Examples:\n  gantry security groups create --name=Developers\n  gantry security groups create --name=Release --member=jsmith --member=ci"
    )]
    Create {
        /// The group's name.
        #[arg(long)]
        name: String,
        /// A member (an existing user); repeat for more.
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Delete a group, its memberships and its permissions.
    #[command(after_help = "Example:\n  gantry security groups delete --name=Developers")]
    Delete {
        /// The group's name.
        #[arg(long)]
        name: String,
    },
    /// List, add and remove a group's members.
    #[command(
        after_help = "Examples:\n  gantry security groups members list --name=Developers\n  gantry security groups members remove --name=Developers --member=jsmith"
    )]
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
}

/// The `security groups members` commands.
#[derive(Subcommand, Debug)]
pub enum MembersCommand {
    /// List a group's members.
    #[command(after_help = "Example:\n  gantry security groups members list --name=Developers")]
    List {
        /// The group's name.
        #[arg(long)]
        name: String,
    },
    /// Add a user to a group (adding a member again changes nothing).
    #[command(
        after_help = "Example:\n  gantry security groups members add --name=Developers --member=jsmith"
    )]
    Add {
        /// The group's name.
        #[arg(long)]
        name: String,
        /// The user to add.
        #[arg(long)]
        member: String,
    },
    /// Remove a user from a group.
    #[command(
        after_help = "Example:\n  gantry security groups members remove --name=Developers --member=jsmith"
    )]
    Remove {
        /// The group's name.
        #[arg(long)]
        name: String,
        /// The user to remove.
        #[arg(long)]
        member: String,
    },
}

/// The `security permissions` commands.
#[derive(Subcommand, Debug)]
pub enum PermissionsCommand {
    /// List permissions.
    #[command(
        after_help = "Examples:\n  gantry security permissions list\n  gantry security permissions list --json"
    )]
    List,
    /// Grant (or with --deny, deny) a task to a user or a group, on one feed or all.
    #[command(
        after_help = "Examples:\n  gantry security permissions add --task=\"View & Download Packages\" --user=jsmith\n  gantry security permissions add --task=\"Promote Packages\" --group=Developers --feed=approved\n  gantry security permissions add --task=\"View & Download Packages\" --group=Everyone --feed=internal --deny"
    )]
    Add {
        /// The task's name.
        #[arg(long)]
        task: String,
        /// A user (or Anonymous).
        #[arg(long)]
        user: Option<String>,
        /// A group (or Everyone, Authenticated).
        #[arg(long)]
        group: Option<String>,
        /// Only on this feed (default: all feeds).
        #[arg(long)]
        feed: Option<String>,
        /// A feed group (not supported by Gantry; the server says so).
        #[arg(long)]
        feed_group: Option<String>,
        /// Deny instead of grant.
        #[arg(long)]
        deny: bool,
    },
    /// Remove a permission by id.
    #[command(
        visible_alias = "delete",
        after_help = "Example:\n  gantry security permissions remove --id=3"
    )]
    Remove {
        /// The permission's id (see `gantry security permissions list`).
        #[arg(long)]
        id: i64,
    },
}

/// Runs a `security` command.
pub async fn run(global: &GlobalArgs, command: SecurityCommand) -> CliResult<()> {
    match command {
        SecurityCommand::Users { command } => users(global, command).await,
        SecurityCommand::Groups { command } => groups(global, command).await,
        SecurityCommand::Permissions { command } => permissions(global, command).await,
    }
}

/// The managed user's name: `--name`, else `--username`.
fn managed_user(name: Option<String>, global: &GlobalArgs) -> CliResult<String> {
    name.or_else(|| global.username.clone())
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| CliError::Usage("--username (the user to manage) is required".into()))
}

async fn users(global: &GlobalArgs, command: UsersCommand) -> CliResult<()> {
    // --username and --password describe the managed user, not the caller.
    let auth = GlobalArgs {
        username: None,
        password: None,
        ..global.clone()
    };
    let client = Client::from_args(&auth)?;
    match command {
        UsersCommand::List => {
            let users: Vec<Value> = client.get_json("/api/security/users/list").await?;
            if global.json {
                print_json(&Value::Array(users));
                return Ok(());
            }
            let mut table = Table::new(&["NAME", "DISPLAY NAME", "EMAIL", "GROUPS", "DISABLED"]);
            for user in &users {
                table.row(vec![
                    text(user, "name"),
                    text(user, "displayName"),
                    text(user, "email"),
                    joined(user, "groups"),
                    text(user, "disabled"),
                ]);
            }
            print_table(&table);
            Ok(())
        }
        UsersCommand::Show { name } => {
            let name = managed_user(name, global)?;
            let user: Value = client
                .json(
                    client
                        .request(Method::GET, "/api/security/users/show")
                        .query(&[("user", &name)]),
                )
                .await?;
            if global.json {
                print_json(&user);
                return Ok(());
            }
            let mut table = Table::new(&["PROPERTY", "VALUE"]);
            for key in ["name", "displayName", "email", "disabled"] {
                table.row(vec![key.to_owned(), text(&user, key)]);
            }
            table.row(vec!["groups".to_owned(), joined(&user, "groups")]);
            print_table(&table);
            Ok(())
        }
        UsersCommand::Create {
            name,
            display_name,
            email,
            groups,
        } => {
            let name = managed_user(name, global)?;
            let password = global
                .password
                .clone()
                .ok_or_else(|| CliError::Usage("--password (the new user's password) is required".into()))?;
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            body.insert("password".into(), json!(password));
            if let Some(display_name) = display_name {
                body.insert("displayName".into(), json!(display_name));
            }
            if let Some(email) = email {
                body.insert("email".into(), json!(email));
            }
            if !groups.is_empty() {
                body.insert("groups".into(), json!(groups));
            }
            let user = client
                .post_json("/api/security/users/add", &Value::Object(body))
                .await?;
            report(
                global.json,
                &user,
                &format!("User '{}' created.", text(&user, "name")),
            );
            Ok(())
        }
        UsersCommand::Edit {
            name,
            display_name,
            email,
            disabled,
        } => {
            let name = managed_user(name, global)?;
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            for (key, value) in [
                ("displayName", display_name.map(Value::from)),
                ("email", email.map(Value::from)),
                ("password", global.password.clone().map(Value::from)),
                ("disabled", disabled.map(Value::from)),
            ] {
                if let Some(value) = value {
                    body.insert(key.into(), value);
                }
            }
            if body.len() == 1 {
                return Err(CliError::Usage(
                    "nothing to change: give --displayname, --email, --password or --disabled".into(),
                ));
            }
            let user = client
                .post_json("/api/security/users/update", &Value::Object(body))
                .await?;
            report(
                global.json,
                &user,
                &format!("User '{}' updated.", text(&user, "name")),
            );
            Ok(())
        }
        UsersCommand::Delete { name } => {
            let name = managed_user(name, global)?;
            client
                .send(
                    client
                        .request(Method::POST, "/api/security/users/delete")
                        .query(&[("user", &name)]),
                )
                .await?;
            report(
                global.json,
                &json!({ "deleted": name }),
                &format!("User '{name}' deleted."),
            );
            Ok(())
        }
    }
}

async fn groups(global: &GlobalArgs, command: GroupsCommand) -> CliResult<()> {
    let client = Client::from_args(global)?;
    match command {
        GroupsCommand::List => {
            let groups: Vec<Value> = client.get_json("/api/security/groups/list").await?;
            if global.json {
                print_json(&Value::Array(groups));
                return Ok(());
            }
            let mut table = Table::new(&["NAME", "MEMBERS"]);
            for group in &groups {
                table.row(vec![text(group, "name"), joined(group, "users")]);
            }
            print_table(&table);
            Ok(())
        }
        GroupsCommand::Create { name, members } => {
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            if !members.is_empty() {
                body.insert("users".into(), json!(members));
            }
            let group = client
                .post_json("/api/security/groups/add", &Value::Object(body))
                .await?;
            report(
                global.json,
                &group,
                &format!("Group '{}' created.", text(&group, "name")),
            );
            Ok(())
        }
        GroupsCommand::Delete { name } => {
            client
                .send(
                    client
                        .request(Method::POST, "/api/security/groups/delete")
                        .query(&[("group", &name)]),
                )
                .await?;
            report(
                global.json,
                &json!({ "deleted": name }),
                &format!("Group '{name}' deleted."),
            );
            Ok(())
        }
        GroupsCommand::Members {
            command: MembersCommand::List { name },
        } => {
            let members: Vec<Value> = client
                .json(
                    client
                        .request(Method::GET, "/api/security/groups/members")
                        .query(&[("group", &name)]),
                )
                .await?;
            if global.json {
                print_json(&Value::Array(members));
                return Ok(());
            }
            let mut table = Table::new(&["MEMBER"]);
            for member in &members {
                table.row(vec![member.as_str().unwrap_or_default().to_owned()]);
            }
            print_table(&table);
            Ok(())
        }
        GroupsCommand::Members {
            command: MembersCommand::Add { name, member },
        } => change_member(global, &client, &name, &member, true).await,
        GroupsCommand::Members {
            command: MembersCommand::Remove { name, member },
        } => change_member(global, &client, &name, &member, false).await,
    }
}

async fn change_member(
    global: &GlobalArgs,
    client: &Client,
    group: &str,
    member: &str,
    add: bool,
) -> CliResult<()> {
    let path = if add {
        "/api/security/groups/add-member"
    } else {
        "/api/security/groups/remove-member"
    };
    let updated: Value = client
        .json(
            client
                .request(Method::POST, path)
                .query(&[("group", group), ("user", member)]),
        )
        .await?;
    let message = if add {
        format!("User '{member}' added to group '{group}'.")
    } else {
        format!("User '{member}' removed from group '{group}'.")
    };
    report(global.json, &updated, &message);
    Ok(())
}

async fn permissions(global: &GlobalArgs, command: PermissionsCommand) -> CliResult<()> {
    let client = Client::from_args(global)?;
    match command {
        PermissionsCommand::List => {
            let permissions: Vec<Value> = client.get_json("/api/security/permissions/list").await?;
            if global.json {
                print_json(&Value::Array(permissions));
                return Ok(());
            }
            let mut table = Table::new(&["ID", "SUBJECT", "TASK", "FEED", "KIND"]);
            for permission in &permissions {
                table.row(vec![
                    text(permission, "id"),
                    subject(permission),
                    text(permission, "task"),
                    match text(permission, "feed") {
                        feed if feed.is_empty() => "(all feeds)".to_owned(),
                        feed => feed,
                    },
                    if permission.get("deny").and_then(Value::as_bool) == Some(true) {
                        "deny".to_owned()
                    } else {
                        "grant".to_owned()
                    },
                ]);
            }
            print_table(&table);
            Ok(())
        }
        PermissionsCommand::Add {
            task,
            user,
            group,
            feed,
            feed_group,
            deny,
        } => {
            if user.is_some() == group.is_some() {
                return Err(CliError::Usage(
                    "give either --user or --group (but not both)".into(),
                ));
            }
            if feed.is_some() && feed_group.is_some() {
                return Err(CliError::Usage("give --feed or --feed-group, not both".into()));
            }
            let mut body = Map::new();
            body.insert("task".into(), json!(task));
            body.insert("deny".into(), json!(deny));
            for (key, value) in [
                ("user", user),
                ("group", group),
                ("feed", feed),
                ("feedGroup", feed_group),
            ] {
                if let Some(value) = value {
                    body.insert(key.into(), json!(value));
                }
            }
            let added = client
                .post_json("/api/security/permissions/add", &Value::Object(body))
                .await?;
            report(
                global.json,
                &added,
                &format!("Permission {} added.", text(&added, "id")),
            );
            Ok(())
        }
        PermissionsCommand::Remove { id } => {
            client
                .send(
                    client
                        .request(Method::POST, "/api/security/permissions/delete")
                        .query(&[("permissionId", id)]),
                )
                .await?;
            report(
                global.json,
                &json!({ "deleted": id }),
                &format!("Permission {id} removed."),
            );
            Ok(())
        }
    }
}

/// `user NAME` or `group NAME`.
fn subject(permission: &Value) -> String {
    match (text(permission, "user"), text(permission, "group")) {
        (user, _) if !user.is_empty() => format!("user {user}"),
        (_, group) => format!("group {group}"),
    }
}
