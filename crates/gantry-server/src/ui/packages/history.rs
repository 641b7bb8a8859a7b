//! The History tab: one row per event of a version, and its action filter.

use std::fmt::Write as _;

use gantry_store::{EventKind, PackageEvent};
use serde_json::Value;

use super::super::view::When;

/// One line of the History tab.
pub struct HistoryRow {
    pub action: &'static str,
    pub kind: &'static str,
    pub when: When,
    pub user: String,
    pub detail: String,
    pub comment: String,
}

/// How the History tab names each kind of event, in the filter's order.
pub fn label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Added => "Added",
        EventKind::Overwritten => "Overwritten",
        EventKind::FileAdded => "File added",
        EventKind::FileReplaced => "File replaced",
        EventKind::Promoted => "Promoted",
        EventKind::PromotionRefused => "Promotion refused",
        EventKind::StatusChanged => "Status changed",
        EventKind::Deployed => "Deployed",
        EventKind::DistTagSet => "Tagged",
        EventKind::DistTagRemoved => "Tag removed",
        EventKind::Deleted => "Deleted",
    }
}

/// The kinds the History tab's filter offers, in its order.
pub const FILTER_ORDER: [EventKind; 11] = [
    EventKind::Added,
    EventKind::Overwritten,
    EventKind::FileAdded,
    EventKind::FileReplaced,
    EventKind::Promoted,
    EventKind::PromotionRefused,
    EventKind::StatusChanged,
    EventKind::Deployed,
    EventKind::DistTagSet,
    EventKind::DistTagRemoved,
    EventKind::Deleted,
];

/// What the History tab says of an event, besides its action, time and user.
pub fn history_row(event: PackageEvent) -> HistoryRow {
    let d = &event.details;
    let in_feed = || format!("in {}", event.feed_name);
    let (detail, comment) = match event.kind {
        EventKind::Promoted => (
            format!("from {} to {}", text(d, "fromFeed"), text(d, "toFeed")),
            text(d, "comments"),
        ),
        EventKind::PromotionRefused => {
            let refusal = d
                .get("gates")
                .and_then(Value::as_array)
                .and_then(|gates| {
                    gates
                        .iter()
                        .find(|g| g.get("passed") == Some(&Value::Bool(false)))
                })
                .map(|g| format!(": {} refused it ({})", text(g, "gate"), text(g, "reason")))
                .unwrap_or_default();
            (
                format!("from {} to {}{refusal}", event.feed_name, text(d, "toFeed")),
                text(d, "comments"),
            )
        }
        EventKind::Deployed => {
            let mut detail = format!("to {}", text(d, "target"));
            let application = text(d, "application");
            if !application.is_empty() {
                let _ = write!(detail, " by {application}");
            }
            (detail, text(d, "description"))
        }
        EventKind::StatusChanged => {
            let mut parts = Vec::new();
            match d.get("listed").and_then(Value::as_bool) {
                Some(true) => parts.push("listed".to_owned()),
                Some(false) => parts.push("unlisted".to_owned()),
                None => {}
            }
            match d.get("deprecated").and_then(Value::as_bool) {
                Some(true) => parts.push("deprecated".to_owned()),
                Some(false) => parts.push("no longer deprecated".to_owned()),
                None => {}
            }
            (parts.join(", "), text(d, "deprecationReason"))
        }
        EventKind::DistTagSet => {
            let previous = text(d, "previousVersion");
            let mut detail = format!("'{}' in {}", text(d, "tag"), event.feed_name);
            if !previous.is_empty() {
                let _ = write!(detail, " (was {previous})");
            }
            (detail, String::new())
        }
        EventKind::DistTagRemoved => (
            format!("'{}' in {}", text(d, "tag"), event.feed_name),
            String::new(),
        ),
        EventKind::FileAdded | EventKind::FileReplaced => {
            (format!("{} {}", text(d, "file"), in_feed()), String::new())
        }
        EventKind::Added => {
            let connector = text(d, "connector");
            if connector.is_empty() {
                (in_feed(), String::new())
            } else {
                (
                    format!("in {} from connector {connector}", event.feed_name),
                    String::new(),
                )
            }
        }
        EventKind::Overwritten | EventKind::Deleted => (in_feed(), String::new()),
    };
    HistoryRow {
        action: label(event.kind),
        kind: event.kind.as_str(),
        when: When::at(event.at),
        user: event.user_name,
        detail,
        comment,
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_offers_every_kind_once() {
        let mut offered = FILTER_ORDER.to_vec();
        offered.sort_by_key(|k| k.as_str());
        offered.dedup();
        assert_eq!(offered.len(), EventKind::ALL.len());
    }
}
