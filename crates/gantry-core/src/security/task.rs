//! Tasks: named sets of attributes that permissions grant or deny.

use super::attribute::{Attribute, AttributeSet};

/// A built-in task: ProGet's name, its description, and what it allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltInTask {
    /// The task's name, as permissions refer to it.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// What it allows.
    pub attributes: &'static [Attribute],
}

use Attribute::{
    AddPackage, Administer, DeletePackage, DownloadPackages, ManageConnectors, ManageFeeds, OverwritePackage,
    PromotePackage, UnlistPackage, ViewPackages,
};

/// The tasks every server has; they cannot be deleted.
pub const BUILT_IN_TASKS: &[BuiltInTask] = &[
    BuiltInTask {
        name: "View & Download Packages",
        description: "See feeds and their packages, and download them.",
        attributes: &[ViewPackages, DownloadPackages],
    },
    BuiltInTask {
        name: "Publish Packages",
        description: "View, download and publish new package versions.",
        attributes: &[ViewPackages, DownloadPackages, AddPackage],
    },
    BuiltInTask {
        name: "Promote Packages",
        description: "View, download, publish, and accept promotions into a feed.",
        attributes: &[ViewPackages, DownloadPackages, AddPackage, PromotePackage],
    },
    BuiltInTask {
        name: "Manage Feed",
        description:
            "Everything on a feed's packages (delete, overwrite, unlist), its connectors and its settings.",
        attributes: &[
            ViewPackages,
            DownloadPackages,
            AddPackage,
            PromotePackage,
            DeletePackage,
            OverwritePackage,
            UnlistPackage,
            ManageConnectors,
            ManageFeeds,
        ],
    },
    BuiltInTask {
        name: "Administer",
        description: "Everything, including users, groups, permissions and API keys.",
        attributes: &[
            ViewPackages,
            DownloadPackages,
            AddPackage,
            PromotePackage,
            DeletePackage,
            OverwritePackage,
            UnlistPackage,
            ManageConnectors,
            ManageFeeds,
            Administer,
        ],
    },
];

/// The name of the built-in task that allows everything.
pub const ADMINISTER_TASK: &str = "Administer";

/// The name of the built-in task that allows reading.
pub const VIEW_TASK: &str = "View & Download Packages";

impl BuiltInTask {
    /// The task's attributes as a set.
    pub fn attribute_set(&self) -> AttributeSet {
        AttributeSet::of(self.attributes)
    }

    /// The built-in task with this name (case-insensitive).
    pub fn named(name: &str) -> Option<&'static BuiltInTask> {
        BUILT_IN_TASKS
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_built_in_task_includes_the_one_before() {
        for pair in BUILT_IN_TASKS.windows(2) {
            let (smaller, larger) = (pair[0].attribute_set(), pair[1].attribute_set());
            assert_eq!(
                smaller.union(larger),
                larger,
                "{} ⊄ {}",
                pair[0].name,
                pair[1].name
            );
        }
        assert_eq!(
            BuiltInTask::named("administer").map(BuiltInTask::attribute_set),
            Some(AttributeSet::all())
        );
    }
}
