//! The permission model and its one decision function.
//!
//! A [`SecurityModel`] is a snapshot of users, their groups and every
//! permission rule, indexed for the question "may this principal do this
//! here?". It is plain data: the server builds it from the store and
//! rebuilds it when anything in it changes.
//!
//! # Resolution
//!
//! For a principal, an attribute and a feed (or none, for server-wide
//! actions), the rules that *apply* are those whose subject is the
//! principal (the user, one of the user's groups, `Authenticated` for any
//! signed-in user, `Anonymous` for callers without credentials, `Everyone`
//! for all), whose scope covers the feed (all feeds, or that very feed; a
//! server-wide action sees only all-feeds rules), and whose task includes
//! the attribute. Among them, the most specific decide:
//!
//! 1. a rule on one feed is more specific than a rule on all feeds;
//! 2. at the same scope, a rule for the user is more specific than one for
//!    a group, which is more specific than one for `Authenticated` or
//!    `Anonymous`, which is more specific than one for `Everyone`;
//! 3. at the most specific level present, a deny beats a grant.
//!
//! No applying rule means no. System and feed API keys are allowed what
//! their grant says, and otherwise what `Everyone` may do; personal keys
//! are their user, never more.

use std::collections::HashMap;
use std::fmt;

use super::attribute::{Attribute, AttributeSet};
use super::principal::Principal;

/// Who a permission rule is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// One user, by case-folded name.
    User(String),
    /// One group, by case-folded name.
    Group(String),
    /// Callers without credentials.
    Anonymous,
    /// Every signed-in user.
    Authenticated,
    /// Everybody, with or without credentials.
    Everyone,
}

impl Subject {
    /// How specific the subject is: higher wins at the same scope.
    fn rank(&self) -> u8 {
        match self {
            Self::User(_) => 3,
            Self::Group(_) => 2,
            Self::Anonymous | Self::Authenticated => 1,
            Self::Everyone => 0,
        }
    }

    /// The virtual principal named `name`, if it is one.
    pub fn virtual_named(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "anonymous" => Some(Self::Anonymous),
            "authenticated" => Some(Self::Authenticated),
            "everyone" => Some(Self::Everyone),
            _ => None,
        }
    }
}

/// Where a permission rule applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every feed, and server-wide actions.
    AllFeeds,
    /// One feed, by case-folded name.
    Feed(String),
}

impl Scope {
    fn covers(&self, feed_key: Option<&str>) -> bool {
        match self {
            Self::AllFeeds => true,
            Self::Feed(own) => feed_key == Some(own.as_str()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::AllFeeds => 0,
            Self::Feed(_) => 1,
        }
    }
}

/// A permission: a task's attributes granted or denied to a subject in a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Who it is for.
    pub subject: Subject,
    /// What the task allows (or, denied, forbids).
    pub attributes: AttributeSet,
    /// Where it applies.
    pub scope: Scope,
    /// A restriction rather than a grant.
    pub deny: bool,
}

/// A user as the model needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEntry {
    /// Database id.
    pub id: i64,
    /// Name as stored.
    pub name: String,
    /// A disabled user cannot sign in, and their personal keys do not work.
    pub disabled: bool,
    /// Case-folded names of the user's groups.
    pub groups: Vec<String>,
}

/// The outcome of an authorization check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// No credentials were given and Anonymous may not act: ask for them (401).
    Challenge,
    /// Credentials were given but do not allow this (403).
    Forbid,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allow => "allow",
            Self::Challenge => "challenge",
            Self::Forbid => "forbid",
        })
    }
}

/// A user and every subject whose rules apply to them: the user, their
/// groups, `Authenticated` and `Everyone` (worked out once, not per decision).
#[derive(Clone, Debug)]
struct Member {
    entry: UserEntry,
    subjects: Vec<Subject>,
}

/// The subjects whose rules apply to a caller without credentials.
const ANONYMOUS_SUBJECTS: &[Subject] = &[Subject::Anonymous, Subject::Everyone];

/// The subjects whose rules apply to a system or feed key beyond its grant.
const KEY_SUBJECTS: &[Subject] = &[Subject::Everyone];

/// A snapshot of users, groups and permission rules, indexed for decisions.
#[derive(Clone, Debug, Default)]
pub struct SecurityModel {
    users: HashMap<String, Member>,
    rules: HashMap<Subject, Vec<Rule>>,
}

impl SecurityModel {
    /// Builds the model from users (keyed by case-folded name) and rules.
    pub fn new(users: impl IntoIterator<Item = UserEntry>, rules: impl IntoIterator<Item = Rule>) -> Self {
        let users = users
            .into_iter()
            .map(|entry| {
                let key = entry.name.to_ascii_lowercase();
                let mut subjects = vec![Subject::User(key.clone())];
                subjects.extend(entry.groups.iter().map(|g| Subject::Group(g.clone())));
                subjects.extend([Subject::Authenticated, Subject::Everyone]);
                (key, Member { entry, subjects })
            })
            .collect();
        let mut by_subject: HashMap<Subject, Vec<Rule>> = HashMap::new();
        for rule in rules {
            by_subject.entry(rule.subject.clone()).or_default().push(rule);
        }
        Self {
            users,
            rules: by_subject,
        }
    }

    /// The user with this name (case-insensitive).
    pub fn user(&self, name: &str) -> Option<&UserEntry> {
        self.users.get(&name.to_ascii_lowercase()).map(|m| &m.entry)
    }

    /// Decides whether `principal` may act with `attribute` on `feed_key`
    /// (a case-folded feed name, or `None` for server-wide actions).
    pub fn decide(&self, principal: &Principal, attribute: Attribute, feed_key: Option<&str>) -> Decision {
        match principal {
            Principal::Anonymous => {
                if self.resolve(ANONYMOUS_SUBJECTS, attribute, feed_key) {
                    Decision::Allow
                } else {
                    Decision::Challenge
                }
            }
            Principal::User { name, .. } => {
                let Some(member) = self
                    .users
                    .get(&name.to_ascii_lowercase())
                    .filter(|m| !m.entry.disabled)
                else {
                    return Decision::Forbid;
                };
                if self.resolve(&member.subjects, attribute, feed_key) {
                    Decision::Allow
                } else {
                    Decision::Forbid
                }
            }
            Principal::ApiKey { grant, .. } => {
                if grant.allows(attribute, feed_key) || self.resolve(KEY_SUBJECTS, attribute, feed_key) {
                    Decision::Allow
                } else {
                    Decision::Forbid
                }
            }
        }
    }

    /// Whether the most specific applying rules grant `attribute`.
    fn resolve(&self, subjects: &[Subject], attribute: Attribute, feed_key: Option<&str>) -> bool {
        // (scope rank, subject rank) of the most specific level seen so far,
        // and whether a grant / a deny was seen at that level.
        let mut best: Option<((u8, u8), bool, bool)> = None;
        let mut consider = |rule: &Rule| {
            if !rule.attributes.contains(attribute) || !rule.scope.covers(feed_key) {
                return;
            }
            let level = (rule.scope.rank(), rule.subject.rank());
            match &mut best {
                Some((best_level, granted, denied)) if *best_level == level => {
                    *granted |= !rule.deny;
                    *denied |= rule.deny;
                }
                Some((best_level, ..)) if *best_level > level => {}
                _ => best = Some((level, !rule.deny, rule.deny)),
            }
        };
        for subject in subjects {
            self.rules
                .get(subject)
                .into_iter()
                .flatten()
                .for_each(&mut consider);
        }
        matches!(best, Some((_, true, false)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::principal::{ApiKeyGrant, PackagePermission, SystemApi};
    use crate::security::task::BuiltInTask;

    fn task(name: &str) -> AttributeSet {
        BuiltInTask::named(name).expect("built-in task").attribute_set()
    }

    fn rule(subject: Subject, task_name: &str, scope: Scope, deny: bool) -> Rule {
        Rule {
            subject,
            attributes: task(task_name),
            scope,
            deny,
        }
    }

    fn user(name: &str, groups: &[&str]) -> UserEntry {
        UserEntry {
            id: 1,
            name: name.into(),
            disabled: false,
            groups: groups.iter().map(|g| g.to_ascii_lowercase()).collect(),
        }
    }

    fn as_user(name: &str) -> Principal {
        Principal::User {
            id: 1,
            name: name.into(),
            via_key: None,
        }
    }

    fn feed(name: &str) -> Scope {
        Scope::Feed(name.into())
    }

    const VIEW: &str = "View & Download Packages";
    const PROMOTE: &str = "Promote Packages";
    const PUBLISH: &str = "Publish Packages";

    #[test]
    fn no_rule_means_no() {
        let model = SecurityModel::new([user("alice", &[])], []);
        assert_eq!(
            model.decide(&as_user("alice"), Attribute::ViewPackages, Some("f")),
            Decision::Forbid
        );
        assert_eq!(
            model.decide(&Principal::Anonymous, Attribute::ViewPackages, Some("f")),
            Decision::Challenge
        );
    }

    #[test]
    fn one_feed_beats_all_feeds() {
        // Everyone may view every feed, but not `secret`; and a group denied
        // publishing everywhere may still publish to `sandbox`.
        let model = SecurityModel::new(
            [user("alice", &["contractors"])],
            [
                rule(Subject::Everyone, VIEW, Scope::AllFeeds, false),
                rule(Subject::Everyone, VIEW, feed("secret"), true),
                // A custom task that holds only "add".
                Rule {
                    subject: Subject::Group("contractors".into()),
                    attributes: AttributeSet::of(&[Attribute::AddPackage]),
                    scope: Scope::AllFeeds,
                    deny: true,
                },
                rule(
                    Subject::Group("contractors".into()),
                    PUBLISH,
                    feed("sandbox"),
                    false,
                ),
            ],
        );
        let alice = as_user("alice");
        assert_eq!(
            model.decide(&alice, Attribute::ViewPackages, Some("public")),
            Decision::Allow
        );
        assert_eq!(
            model.decide(&alice, Attribute::ViewPackages, Some("secret")),
            Decision::Forbid
        );
        assert_eq!(
            model.decide(&alice, Attribute::AddPackage, Some("public")),
            Decision::Forbid
        );
        assert_eq!(
            model.decide(&alice, Attribute::AddPackage, Some("sandbox")),
            Decision::Allow
        );
    }

    #[test]
    fn denying_a_task_denies_every_attribute_it_holds() {
        // "Publish Packages" includes viewing: denying it on all feeds to a
        // group outranks Everyone's view grant at the same scope.
        let model = SecurityModel::new(
            [user("alice", &["contractors"])],
            [
                rule(Subject::Everyone, VIEW, Scope::AllFeeds, false),
                rule(
                    Subject::Group("contractors".into()),
                    PUBLISH,
                    Scope::AllFeeds,
                    true,
                ),
            ],
        );
        assert_eq!(
            model.decide(&as_user("alice"), Attribute::ViewPackages, Some("f")),
            Decision::Forbid
        );
    }

    #[test]
    fn user_beats_group_beats_everyone_at_the_same_scope() {
        let model = SecurityModel::new(
            [
                user("alice", &["devs"]),
                user("bob", &["devs"]),
                user("carol", &[]),
            ],
            [
                rule(Subject::Everyone, VIEW, feed("x"), true),
                rule(Subject::Group("devs".into()), VIEW, feed("x"), false),
                rule(Subject::User("bob".into()), VIEW, feed("x"), true),
            ],
        );
        assert_eq!(
            model.decide(&as_user("alice"), Attribute::ViewPackages, Some("x")),
            Decision::Allow
        );
        assert_eq!(
            model.decide(&as_user("bob"), Attribute::ViewPackages, Some("x")),
            Decision::Forbid
        );
        assert_eq!(
            model.decide(&as_user("carol"), Attribute::ViewPackages, Some("x")),
            Decision::Forbid
        );
    }

    #[test]
    fn deny_beats_grant_at_the_same_level() {
        let model = SecurityModel::new(
            [user("alice", &["devs", "testers"])],
            [
                rule(Subject::Group("devs".into()), PROMOTE, feed("approved"), false),
                rule(Subject::Group("testers".into()), PROMOTE, feed("approved"), true),
            ],
        );
        assert_eq!(
            model.decide(&as_user("alice"), Attribute::PromotePackage, Some("approved")),
            Decision::Forbid
        );
    }

    #[test]
    fn a_deny_only_covers_the_attributes_of_its_task() {
        // Denying "Promote Packages" also denies viewing (the task includes
        // it); denying "Publish Packages" on top of a view grant at a less
        // specific level does not stop viewing elsewhere.
        let model = SecurityModel::new(
            [user("alice", &[])],
            [
                rule(Subject::User("alice".into()), VIEW, Scope::AllFeeds, false),
                rule(Subject::User("alice".into()), PUBLISH, feed("x"), true),
            ],
        );
        let alice = as_user("alice");
        assert_eq!(
            model.decide(&alice, Attribute::ViewPackages, Some("x")),
            Decision::Forbid
        );
        assert_eq!(
            model.decide(&alice, Attribute::ViewPackages, Some("y")),
            Decision::Allow
        );
    }

    #[test]
    fn server_wide_actions_see_only_all_feed_rules() {
        let model = SecurityModel::new(
            [user("alice", &[])],
            [rule(
                Subject::User("alice".into()),
                "Manage Feed",
                feed("x"),
                false,
            )],
        );
        let alice = as_user("alice");
        assert_eq!(
            model.decide(&alice, Attribute::ManageFeeds, Some("x")),
            Decision::Allow
        );
        assert_eq!(
            model.decide(&alice, Attribute::ManageFeeds, None),
            Decision::Forbid
        );
    }

    #[test]
    fn virtual_principals_apply_to_whom_they_name() {
        let model = SecurityModel::new(
            [user("alice", &[])],
            [
                rule(Subject::Anonymous, VIEW, feed("public"), false),
                rule(Subject::Authenticated, VIEW, feed("internal"), false),
            ],
        );
        let anon = Principal::Anonymous;
        assert_eq!(
            model.decide(&anon, Attribute::ViewPackages, Some("public")),
            Decision::Allow
        );
        assert_eq!(
            model.decide(&anon, Attribute::ViewPackages, Some("internal")),
            Decision::Challenge
        );
        let alice = as_user("alice");
        assert_eq!(
            model.decide(&alice, Attribute::ViewPackages, Some("internal")),
            Decision::Allow
        );
        assert_eq!(
            model.decide(&alice, Attribute::ViewPackages, Some("public")),
            Decision::Forbid
        );
    }

    #[test]
    fn disabled_and_unknown_users_may_do_nothing() {
        let mut disabled = user("dave", &[]);
        disabled.disabled = true;
        let model = SecurityModel::new(
            [disabled],
            [rule(Subject::Everyone, VIEW, Scope::AllFeeds, false)],
        );
        assert_eq!(
            model.decide(&as_user("dave"), Attribute::ViewPackages, Some("f")),
            Decision::Forbid
        );
        assert_eq!(
            model.decide(&as_user("nobody"), Attribute::ViewPackages, Some("f")),
            Decision::Forbid
        );
    }

    #[test]
    fn keys_get_their_grant_or_what_everyone_has() {
        let model = SecurityModel::new([], [rule(Subject::Everyone, VIEW, Scope::AllFeeds, false)]);
        let promote_key = Principal::ApiKey {
            id: 1,
            user_name: "SYSTEM".into(),
            grant: ApiKeyGrant::Feed {
                feed_key: "approved".into(),
                permissions: vec![PackagePermission::Promote],
            },
        };
        assert_eq!(
            model.decide(&promote_key, Attribute::PromotePackage, Some("approved")),
            Decision::Allow
        );
        assert_eq!(
            model.decide(&promote_key, Attribute::ViewPackages, Some("unapproved")),
            Decision::Allow
        );
        assert_eq!(
            model.decide(&promote_key, Attribute::AddPackage, Some("unapproved")),
            Decision::Forbid
        );
        let system = Principal::ApiKey {
            id: 2,
            user_name: "SYSTEM".into(),
            grant: ApiKeyGrant::System {
                apis: vec![SystemApi::Feeds],
            },
        };
        assert_eq!(
            model.decide(&system, Attribute::ManageFeeds, None),
            Decision::Allow
        );
        assert_eq!(
            model.decide(&system, Attribute::Administer, None),
            Decision::Forbid
        );
    }

    #[test]
    fn names_are_case_insensitive() {
        let model = SecurityModel::new(
            [user("Alice", &["Devs"])],
            [rule(Subject::Group("devs".into()), VIEW, feed("x"), false)],
        );
        assert_eq!(
            model.decide(&as_user("ALICE"), Attribute::ViewPackages, Some("x")),
            Decision::Allow
        );
    }
}
