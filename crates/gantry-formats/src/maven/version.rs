//! Maven's version order, as `org.apache.maven.artifact.versioning.ComparableVersion`
//! of current Maven (3.9) defines it: with combined qualifier-number items
//! and the fixes MNG-6964, MNG-7644 and MNG-7714, which changed the order of
//! some versions since Maven 3.8 (`1.0.0.RC1 < 1.0.0-RC2`, `2.0.x == 2-x`).
//!
//! A version is lower-cased and split into items at `.`, at `-` and where
//! digits meet letters: runs of digits are numbers (compared numerically,
//! whatever their size), runs of letters are qualifiers, and a letter run
//! directly followed by digits (`rc1`, `alpha-2`) is one combined item. A
//! `-`, a letters-to-digits transition and a trailing qualifier after a dot
//! open a sub-list, so that `1.0-1` is `[1, 0, [1]]` and `1.0.RC1` sorts like
//! `1.0-RC1`. Null items (`0`, an empty sub-list) are dropped at the end of
//! a list and before a qualifier, which makes `1.0.0 == 1` and `1.0-a == 1-a`.
//!
//! Qualifiers order as `alpha` = `a` < `beta` = `b` < `milestone` = `m` <
//! `rc` = `cr` < `snapshot` < the release (no qualifier, or `ga`, `final`,
//! `release`) < `sp`, then every other qualifier, lexically. A number beats
//! a qualifier and a sub-list at the same position (`1.0.1 > 1.0-1 > 1.0-sp`).
//!
//! Like Maven's, the order is not transitive for some odd versions
//! (`1-0.alpha < 1 < 1-sp < 1-0.alpha`), so sorting with it must not rely
//! on a total order: [`sort_versions`] does not.
//!
//! Only ASCII digits count as digits, as in current Maven. Versions Gantry
//! stores are ASCII; other text still has a deterministic place, its
//! qualifiers compared by their UTF-8 bytes.
//!
//! The items form a chain rather than a tree (a sub-list is always the last
//! item of its parent), so parsing and comparing are iterative: no input,
//! however long, can exhaust the stack.

use std::cmp::Ordering;

/// The known qualifiers, in order; the release (`""`) sits at [`RELEASE_RANK`].
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// The rank of a release (no qualifier).
const RELEASE_RANK: usize = 5;

/// A version parsed into Maven's items, for comparing.
///
/// Only the order is meaningful: two versions can compare equal and still
/// be different text (`1.0` and `1`, `1-ga` and `1`).
#[derive(Clone, Debug)]
pub struct ComparableVersion {
    /// `levels[0]` is the top list; `levels[k + 1]` is the sub-list that
    /// ends `levels[k]`.
    levels: Vec<Vec<Item>>,
}

/// One item of a list (sub-lists are the chain's next level).
#[derive(Clone, Debug)]
enum Item {
    /// A number: ASCII digits without leading zeros (`"0"` for zero).
    Number(String),
    /// A qualifier, lower-cased and with `cr` read as `rc`.
    Qualifier(String),
    /// A qualifier directly followed by a number (`rc1`, `alpha-2`).
    Combination(String, String),
}

/// What a list holds at one position.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Item(&'a Item),
    SubList,
    Nothing,
}

impl Item {
    fn is_null(&self) -> bool {
        matches!(self, Item::Number(digits) if digits == "0")
    }
}

/// The rank of a qualifier: known ones first in their order, then the rest
/// lexically.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Rank<'a> {
    Known(usize),
    Unknown(&'a str),
}

fn rank(qualifier: &str) -> Rank<'_> {
    if matches!(qualifier, "ga" | "final" | "release") {
        return Rank::Known(RELEASE_RANK);
    }
    match QUALIFIERS.iter().position(|known| *known == qualifier) {
        Some(index) => Rank::Known(index),
        None => Rank::Unknown(qualifier),
    }
}

/// A qualifier as Maven reads it: `a`, `b` and `m` directly followed by a
/// digit are `alpha`, `beta` and `milestone`; `cr` is `rc`.
fn qualifier(text: &str, followed_by_digit: bool) -> String {
    let text = match text {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "cr" => "rc",
        other => other,
    };
    text.to_owned()
}

fn number(digits: &str) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn compare_numbers(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Builds one item from a run of text.
fn item(combination: bool, digits: bool, text: &str) -> Item {
    if combination {
        let text: String = text.chars().filter(|c| *c != '-').collect();
        let split = text.find(|c: char| c.is_ascii_digit()).unwrap_or(text.len());
        let (letters, digits) = text.split_at(split);
        Item::Combination(qualifier(letters, true), number(digits))
    } else if digits {
        Item::Number(number(text))
    } else {
        Item::Qualifier(qualifier(text, false))
    }
}

impl ComparableVersion {
    /// Parses a version; every text is a version.
    pub fn new(version: &str) -> Self {
        let chars: Vec<char> = version.to_lowercase().chars().collect();
        let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
        let mut levels: Vec<Vec<Item>> = vec![Vec::new()];
        let mut is_digit = false;
        let mut is_combination = false;
        let mut start = 0;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '.' {
                let item = if i == start {
                    Item::Number("0".to_owned())
                } else {
                    item(is_combination, is_digit, &text(start, i))
                };
                push(&mut levels, item);
                is_combination = false;
                start = i + 1;
            } else if c == '-' {
                if i == start {
                    push(&mut levels, Item::Number("0".to_owned()));
                } else {
                    // `X-1` reads as the combination `X1`.
                    if !is_digit && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                        is_combination = true;
                        i += 1;
                        continue;
                    }
                    push(&mut levels, item(is_combination, is_digit, &text(start, i)));
                }
                start = i + 1;
                nest_unless_empty(&mut levels);
                is_combination = false;
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    is_combination = true;
                    nest_unless_empty(&mut levels);
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    push(&mut levels, item(is_combination, true, &text(start, i)));
                    start = i;
                    levels.push(Vec::new());
                    is_combination = false;
                }
                is_digit = false;
            }
            i += 1;
        }
        if chars.len() > start {
            // A trailing qualifier after a dot reads as after a hyphen:
            // `1.0.0.RC1 < 1.0.0-RC2`, `2.0.x == 2-x`.
            if !is_digit {
                nest_unless_empty(&mut levels);
            }
            push(
                &mut levels,
                item(is_combination, is_digit, &text(start, chars.len())),
            );
        }
        let mut version = Self { levels };
        version.normalize();
        version
    }

    /// Drops null items the way Maven does, innermost list first: an empty
    /// sub-list at the end, and a zero at the end or before a qualifier
    /// (directly or at the start of the following sub-list).
    fn normalize(&mut self) {
        for level in (0..self.levels.len()).rev() {
            if level + 1 == self.levels.len() - 1 && self.levels[level + 1].is_empty() {
                self.levels.truncate(level + 1);
            }
            let has_sub_list = level + 1 < self.levels.len();
            let first_of_sub_list = if has_sub_list {
                match self.levels[level + 1].first() {
                    Some(Item::Qualifier(_) | Item::Combination(..)) => FirstOfSubList::Qualifier,
                    _ => FirstOfSubList::Other,
                }
            } else {
                FirstOfSubList::Other
            };
            // From the end, so that the item after a null one is the
            // nearest one kept (in linear time, whatever the input).
            let items = &mut self.levels[level];
            let mut kept: Vec<Item> = Vec::with_capacity(items.len());
            for item in items.drain(..).rev() {
                if item.is_null() {
                    let remove = match kept.last() {
                        Some(next) => matches!(next, Item::Qualifier(_)),
                        None if has_sub_list => matches!(first_of_sub_list, FirstOfSubList::Qualifier),
                        None => true,
                    };
                    if remove {
                        continue;
                    }
                }
                kept.push(item);
            }
            kept.reverse();
            *items = kept;
        }
    }

    fn slot(&self, level: usize, index: usize) -> Slot<'_> {
        let items = &self.levels[level];
        match items.get(index) {
            Some(item) => Slot::Item(item),
            None if index == items.len() && level + 1 < self.levels.len() => Slot::SubList,
            None => Slot::Nothing,
        }
    }

    fn width(&self, level: usize) -> usize {
        self.levels[level].len() + usize::from(level + 1 < self.levels.len())
    }

    /// A list against nothing: its first item that is not null decides.
    fn compare_list_to_nothing(&self, mut level: usize) -> Ordering {
        loop {
            for item in &self.levels[level] {
                let order = compare_item(item, None);
                if order != Ordering::Equal {
                    return order;
                }
            }
            if level + 1 >= self.levels.len() {
                return Ordering::Equal;
            }
            level += 1;
        }
    }
}

#[derive(Clone, Copy)]
enum FirstOfSubList {
    Qualifier,
    Other,
}

fn push(levels: &mut [Vec<Item>], item: Item) {
    if let Some(current) = levels.last_mut() {
        current.push(item);
    }
}

fn nest_unless_empty(levels: &mut Vec<Vec<Item>>) {
    if levels.last().is_some_and(|current| !current.is_empty()) {
        levels.push(Vec::new());
    }
}

/// An item against another item, or against nothing (`None`).
fn compare_item(item: &Item, other: Option<&Item>) -> Ordering {
    match (item, other) {
        (Item::Number(digits), None) => {
            if digits == "0" {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Item::Number(a), Some(Item::Number(b))) => compare_numbers(a, b),
        (Item::Number(_), Some(_)) => Ordering::Greater,
        (Item::Qualifier(q) | Item::Combination(q, _), None) => rank(q).cmp(&Rank::Known(RELEASE_RANK)),
        (Item::Qualifier(_) | Item::Combination(..), Some(Item::Number(_))) => Ordering::Less,
        (Item::Qualifier(a), Some(Item::Qualifier(b))) => rank(a).cmp(&rank(b)),
        // `rc < rc1`: with the same qualifier, the combination is higher.
        (Item::Qualifier(a), Some(Item::Combination(b, _))) => rank(a).cmp(&rank(b)).then(Ordering::Less),
        (Item::Combination(a, _), Some(Item::Qualifier(b))) => rank(a).cmp(&rank(b)).then(Ordering::Greater),
        (Item::Combination(a, x), Some(Item::Combination(b, y))) => {
            rank(a).cmp(&rank(b)).then_with(|| compare_numbers(x, y))
        }
    }
}

/// An item against a sub-list: a number is higher, a qualifier lower.
fn compare_item_to_list(item: &Item) -> Ordering {
    match item {
        Item::Number(_) => Ordering::Greater,
        Item::Qualifier(_) | Item::Combination(..) => Ordering::Less,
    }
}

impl ComparableVersion {
    /// Maven's order of two versions.
    pub fn compare(&self, other: &Self) -> Ordering {
        let (mut left, mut right) = (0, 0);
        loop {
            let width = self.width(left).max(other.width(right));
            let mut descend = false;
            for index in 0..width {
                let order = match (self.slot(left, index), other.slot(right, index)) {
                    (Slot::Item(a), Slot::Item(b)) => compare_item(a, Some(b)),
                    (Slot::Item(a), Slot::Nothing) => compare_item(a, None),
                    (Slot::Nothing, Slot::Item(b)) => compare_item(b, None).reverse(),
                    (Slot::Item(a), Slot::SubList) => compare_item_to_list(a),
                    (Slot::SubList, Slot::Item(b)) => compare_item_to_list(b).reverse(),
                    (Slot::SubList, Slot::Nothing) => self.compare_list_to_nothing(left + 1),
                    (Slot::Nothing, Slot::SubList) => other.compare_list_to_nothing(right + 1).reverse(),
                    (Slot::SubList, Slot::SubList) => {
                        // Both lists end here: the sub-lists decide.
                        descend = true;
                        break;
                    }
                    (Slot::Nothing, Slot::Nothing) => Ordering::Equal,
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
            if !descend {
                return Ordering::Equal;
            }
            left += 1;
            right += 1;
        }
    }
}

/// Maven's order of two versions (`1.0-alpha-1 < 1.0 < 1.0-sp < 1.0.1`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    ComparableVersion::new(a).compare(&ComparableVersion::new(b))
}

/// Sorts versions into Maven's order, lowest first; versions Maven finds
/// equal keep their text order. Unlike `slice::sort_by`, which may panic
/// when the order is not total, this never panics on the cycles Maven's
/// order has between odd versions (their relative order is then only
/// deterministic).
pub fn sort_versions<T: AsRef<str>>(versions: &mut Vec<T>) {
    versions.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
    let parsed: Vec<ComparableVersion> = versions
        .iter()
        .map(|v| ComparableVersion::new(v.as_ref()))
        .collect();
    // A bottom-up merge sort of indices: stable, and any answer of the
    // comparison is fine for it.
    let mut order: Vec<usize> = (0..versions.len()).collect();
    let mut merged = Vec::with_capacity(order.len());
    let mut width = 1;
    while width < order.len() {
        merged.clear();
        for start in (0..order.len()).step_by(2 * width) {
            let middle = (start + width).min(order.len());
            let end = (start + 2 * width).min(order.len());
            let (mut i, mut j) = (start, middle);
            while i < middle && j < end {
                if parsed[order[j]].compare(&parsed[order[i]]) == Ordering::Less {
                    merged.push(order[j]);
                    j += 1;
                } else {
                    merged.push(order[i]);
                    i += 1;
                }
            }
            merged.extend_from_slice(&order[i..middle]);
            merged.extend_from_slice(&order[j..end]);
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    let mut slots: Vec<Option<T>> = versions.drain(..).map(Some).collect();
    versions.extend(
        order
            .into_iter()
            .filter_map(|index| slots.get_mut(index).and_then(Option::take)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_order(low: &str, high: &str) {
        assert_eq!(
            compare_versions(low, high),
            Ordering::Less,
            "expected {low} < {high}"
        );
        assert_eq!(
            compare_versions(high, low),
            Ordering::Greater,
            "expected {high} > {low}"
        );
    }

    fn check_equal(a: &str, b: &str) {
        assert_eq!(compare_versions(a, b), Ordering::Equal, "expected {a} == {b}");
        assert_eq!(compare_versions(b, a), Ordering::Equal, "expected {b} == {a}");
    }

    fn check_sorted(versions: &[&str]) {
        for (i, low) in versions.iter().enumerate() {
            for high in &versions[i + 1..] {
                check_order(low, high);
            }
        }
    }

    /// Maven's `ComparableVersionTest.VERSIONS_QUALIFIER`, in order.
    #[test]
    fn qualifiers_in_order() {
        check_sorted(&[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ]);
    }

    /// Maven's `ComparableVersionTest.VERSIONS_NUMBER`, in order.
    #[test]
    fn numbers_in_order() {
        check_sorted(&[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1",
            "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b",
            "11c", "11m",
        ]);
    }

    #[test]
    fn equal_versions() {
        for (a, b) in [
            ("1", "1"),
            ("1", "1.0"),
            ("1", "1.0.0"),
            ("1.0", "1.0.0"),
            ("1", "1-0"),
            ("1", "1.0-0"),
            ("1.0", "1.0-0"),
            // No separator between number and letters.
            ("1a", "1-a"),
            ("1a", "1.0-a"),
            ("1a", "1.0.0-a"),
            ("1.0a", "1-a"),
            ("1.0.0a", "1-a"),
            ("1x", "1-x"),
            ("1x", "1.0-x"),
            ("1x", "1.0.0-x"),
            ("1.0x", "1-x"),
            ("1.0.0x", "1-x"),
            ("1cr", "1rc"),
            // a, b and m followed by a digit are alpha, beta and milestone.
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            // Case does not matter.
            ("1X", "1x"),
            ("1A", "1a"),
            ("1B", "1b"),
            ("1M", "1m"),
            ("1Cr", "1Rc"),
            ("1cR", "1rC"),
            ("1m3", "1Milestone3"),
            ("1m3", "1MileStone3"),
            ("1m3", "1MILESTONE3"),
            ("1.0.0-ALPHA1", "1.0.0-alpha1"),
            ("1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            // Release aliases sort as the release.
            ("1ga", "1"),
            ("1release", "1"),
            ("1final", "1"),
            ("1GA", "1"),
            ("1RELeaSE", "1"),
            ("1FINAL", "1"),
            ("1-ga", "1"),
            ("1.0-final", "1.0.0"),
            ("1.0.0", "1"),
        ] {
            check_equal(a, b);
        }
    }

    #[test]
    fn ordered_pairs() {
        for (low, high) in [
            ("1", "2"),
            ("1.5", "2"),
            ("1", "2.5"),
            ("1.0", "1.1"),
            ("1.1", "1.2"),
            ("1.0.0", "1.1"),
            ("1.0.1", "1.1"),
            ("1.1", "1.2.0"),
            ("1.0-alpha-1", "1.0"),
            ("1.0-alpha-1", "1.0-alpha-2"),
            ("1.0-alpha-1", "1.0-beta-1"),
            ("1.0-beta-1", "1.0-SNAPSHOT"),
            ("1.0-SNAPSHOT", "1.0"),
            ("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"),
            ("1.0", "1.0-1"),
            ("1.0-1", "1.0-2"),
            ("1.0.0", "1.0-1"),
            ("2.0-1", "2.0.1"),
            ("2.0.1-klm", "2.0.1-lmn"),
            ("2.0.1", "2.0.1-xyz"),
            ("2.0.1", "2.0.1-123"),
            ("2.0.1-xyz", "2.0.1-123"),
            ("0.7", "2"),
            ("0.2", "1.0.7"),
            ("1.0", "1.0-sp"),
            ("1.0-sp", "1.0.1"),
            ("1-SNAPSHOT", "1"),
            ("1.0-rc1", "1.0-rc2"),
            ("1.0-rc", "1.0-rc1"),
            ("1.0-rc-2", "1.0-rc10"),
            ("1.0-milestone-1", "1.0-rc-1"),
            ("1.0-M1", "1.0-RC1"),
            ("1.9", "1.10"),
            ("1.9.9", "1.10"),
            ("aardvark", "zebra"),
            ("c", "7"),
            ("J", "7"),
            // Numbers of any size.
            ("99999999999999999999999", "100000000000000000000000"),
            ("1.2147483647", "1.2147483648"),
            ("1.9223372036854775807", "1.9223372036854775808"),
            // MNG-5568: b < a < c and b < c.
            ("6.1.0rc3", "6.1.0"),
            ("6.1.0rc3", "6.1H.5-beta"),
            ("6.1.0", "6.1H.5-beta"),
            // MNG-6572: numbers of 8 to 20 digits.
            ("20190126.230843", "1234567890.12345"),
            ("1234567890.12345", "123456789012345.1H.5-beta"),
            ("123456789012345.1H.5-beta", "12345678901234567890.1H.5-beta"),
            ("20190126.230843", "12345678901234567890.1H.5-beta"),
            // MNG-6964: a qualifier after `-0.` still counts.
            ("1-0.alpha", "1"),
            ("1-0.beta", "1"),
            ("1-0.alpha", "1-0.beta"),
            // MNG-7714: a service pack beats `final`.
            ("1.0.final-redhat", "1.0-sp1-redhat"),
            ("1.0.final-redhat", "1.0-sp-1-redhat"),
            ("1.0.final-redhat", "1.0-sp.1-redhat"),
            // Only ASCII digits are digits.
            ("\u{0668}", "1"),
            ("\u{0668}", "9"),
            ("zebra", "ζέβρα"),
        ] {
            check_order(low, high);
        }
    }

    /// MNG-7644: `1.0.0.X1 < 1.0.0-X2`, and `2.0.X == 2-X == 2.0.0.X`.
    #[test]
    fn dot_qualifiers_read_as_hyphen_qualifiers() {
        for x in ["abc", "alpha", "a", "beta", "b", "def", "milestone", "m", "RC"] {
            check_order(&format!("1.0.0.{x}1"), &format!("1.0.0-{x}2"));
            check_equal(&format!("2-{x}"), &format!("2.0.{x}"));
            check_equal(&format!("2-{x}"), &format!("2.0.0.{x}"));
            check_equal(&format!("2.0.{x}"), &format!("2.0.0.{x}"));
        }
    }

    #[test]
    fn leading_zeroes_do_not_count() {
        let ones: Vec<String> = (1..=19).map(|n| format!("{}1", "0".repeat(n - 1))).collect();
        let zeroes: Vec<String> = (1..=19).map(|n| "0".repeat(n)).collect();
        for group in [ones, zeroes] {
            for a in &group {
                for b in &group {
                    check_equal(a, b);
                }
            }
        }
        check_equal("", "0");
        check_equal("1.", "1");
        check_equal("1-", "1");
        check_order("", "1");
    }

    #[test]
    fn order_is_consistent() {
        let versions = [
            "1",
            "1.0",
            "1-SNAPSHOT",
            "1.0-SNAPSHOT",
            "1-sp",
            "1-1",
            "1.1",
            "1-rc",
            "1-rc1",
            "1.0.RC1",
            "1-ga",
            "1-x",
            "1--1",
            "1.-1",
            "1-0-a",
            "1-a",
            "..",
            "-",
            "a-1",
            "1a1b2",
            "0.0.0-0",
            "2.0.1-xyz",
        ];
        for a in versions {
            for b in versions {
                assert_eq!(
                    compare_versions(a, b),
                    compare_versions(b, a).reverse(),
                    "{a} vs {b} is antisymmetric"
                );
                for c in versions {
                    if compare_versions(a, b) != Ordering::Greater
                        && compare_versions(b, c) != Ordering::Greater
                    {
                        assert_ne!(compare_versions(a, c), Ordering::Greater, "{a} <= {b} <= {c}");
                    }
                }
            }
        }
    }

    /// Maven's order is not transitive for some odd versions; neither is
    /// this one, on purpose.
    #[test]
    fn odd_versions_can_form_a_cycle_as_in_maven() {
        check_order("1-0.alpha", "1");
        check_order("1", "1-sp");
        check_order("1-sp", "1-0.alpha");
    }

    #[test]
    fn sorting() {
        let mut versions = vec![
            "1.10",
            "1.0",
            "1.9",
            "2.0-SNAPSHOT",
            "1.0-rc1",
            "1",
            "1.0.0",
            "1-sp",
        ];
        sort_versions(&mut versions);
        assert_eq!(
            versions,
            [
                "1.0-rc1",
                "1",
                "1.0",
                "1.0.0",
                "1-sp",
                "1.9",
                "1.10",
                "2.0-SNAPSHOT"
            ]
        );
        let mut empty: Vec<String> = Vec::new();
        sort_versions(&mut empty);
        assert!(empty.is_empty());
        // Every rotation of versions with a cycle sorts without a panic, to
        // the same result.
        let odd = ["1-0.alpha", "1", "1-sp", "1-0.beta", "1-a", "1-0.alpha"];
        let mut first: Option<Vec<&str>> = None;
        for rotation in 0..odd.len() {
            let mut versions: Vec<&str> = odd
                .iter()
                .cycle()
                .skip(rotation)
                .take(odd.len())
                .copied()
                .collect();
            sort_versions(&mut versions);
            assert_eq!(versions.len(), odd.len());
            assert_eq!(first.get_or_insert_with(|| versions.clone()), &versions);
        }
    }

    #[test]
    fn long_inputs_do_not_exhaust_the_stack() {
        let hyphens = "1-".repeat(200_000);
        let transitions = "a1".repeat(200_000);
        assert_eq!(compare_versions(&hyphens, &hyphens), Ordering::Equal);
        assert_eq!(compare_versions(&transitions, &transitions), Ordering::Equal);
        assert_eq!(compare_versions(&hyphens, &transitions), Ordering::Greater);
    }
}
