//! OData `$filter` expressions: the subset NuGet, Chocolatey and
//! PowerShellGet send, parsed by recursive descent into a typed tree.
//!
//! Grammar (keywords, properties and functions are matched case-insensitively):
//!
//! ```text
//! or      := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | compare
//! compare := primary (("eq" | "ne") primary)?
//! primary := "(" or ")" | 'text' | true | false | property | function "(" or ("," or)* ")"
//! ```
//!
//! Boolean properties: `IsLatestVersion`, `IsAbsoluteLatestVersion`,
//! `IsPrerelease`, `Listed`. Text properties: `Id`, `Version`,
//! `NormalizedVersion`, `Title`, `Tags`, `Description`, `Authors`. Functions:
//! `tolower`, `toupper`, `trim`, `substringof(needle, text)`,
//! `startswith(text, prefix)`, `endswith(text, suffix)`.
//!
//! Text comparisons ignore case, as nuget.org's (case-insensitive) database
//! does: `Id eq 'newtonsoft.json'` finds `Newtonsoft.Json`. Types are checked
//! while parsing, so a malformed filter is refused before anything is read.

use std::borrow::Cow;

use super::query::Row;

/// The deepest nesting of parentheses, `not` and function calls accepted:
/// far above what clients send, low enough that recursion cannot exhaust the stack.
const MAX_DEPTH: usize = 40;

/// The most `and` and `or` operators accepted in one filter. A chain of
/// them parses into a tree as deep as it is long, which evaluation and
/// dropping walk recursively: unbounded, 45,000 of them (~400 KB) overflowed
/// the fuzz target's 8 MiB stack, and a server worker thread has 2 MiB (a
/// stack overflow aborts the process). Clients send a handful; IIS-hosted
/// feeds cap query strings at 2,048 characters anyway.
const MAX_OPERATORS: usize = 1000;

/// A parsed `$filter`: a condition on one package version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// `true` or `false`.
    Literal(bool),
    /// A boolean property.
    Property(BoolProperty),
    /// `not x`.
    Not(Box<Condition>),
    /// `x and y`.
    And(Box<Condition>, Box<Condition>),
    /// `x or y`.
    Or(Box<Condition>, Box<Condition>),
    /// `x eq y` (or `ne` when `negated`) on conditions.
    EqualTruth(Box<Condition>, Box<Condition>, bool),
    /// `x eq y` (or `ne` when `negated`) on text, ignoring case.
    SameText(Text, Text, bool),
    /// `substringof(needle, haystack)`, ignoring case.
    Contains { haystack: Text, needle: Text },
    /// `startswith(text, prefix)`, ignoring case.
    StartsWith(Text, Text),
    /// `endswith(text, suffix)`, ignoring case.
    EndsWith(Text, Text),
}

/// A text-valued expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    /// `'...'`.
    Literal(String),
    /// A text property.
    Property(TextProperty),
    /// `tolower(x)`.
    Lower(Box<Text>),
    /// `toupper(x)`.
    Upper(Box<Text>),
    /// `trim(x)`.
    Trim(Box<Text>),
}

/// The boolean properties a filter may test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolProperty {
    IsLatestVersion,
    IsAbsoluteLatestVersion,
    IsPrerelease,
    Listed,
}

/// The text properties a filter may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextProperty {
    Id,
    Version,
    NormalizedVersion,
    Title,
    Tags,
    Description,
    Authors,
}

impl BoolProperty {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "islatestversion" => Self::IsLatestVersion,
            "isabsolutelatestversion" => Self::IsAbsoluteLatestVersion,
            "isprerelease" => Self::IsPrerelease,
            "listed" => Self::Listed,
            _ => return None,
        })
    }

    fn value(self, row: &Row<'_>) -> bool {
        match self {
            Self::IsLatestVersion => row.is_latest,
            Self::IsAbsoluteLatestVersion => row.is_absolute_latest,
            Self::IsPrerelease => row.entry.version.is_prerelease(),
            Self::Listed => row.entry.record.listed,
        }
    }
}

impl TextProperty {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "id" => Self::Id,
            "version" => Self::Version,
            "normalizedversion" => Self::NormalizedVersion,
            "title" => Self::Title,
            "tags" => Self::Tags,
            "description" => Self::Description,
            "authors" => Self::Authors,
            _ => return None,
        })
    }

    /// The value as the entry shows it; an absent value is "".
    fn value<'a>(self, row: &Row<'a>) -> Cow<'a, str> {
        let entry = row.entry;
        match self {
            Self::Id => Cow::Borrowed(entry.id()),
            Self::Version => Cow::Owned(entry.version.to_full_string()),
            Self::NormalizedVersion => Cow::Owned(entry.version.to_normalized_string()),
            Self::Title => Cow::Borrowed(&entry.nuspec.title),
            Self::Tags => Cow::Owned(entry.nuspec.tags.join(" ")),
            Self::Description => Cow::Borrowed(&entry.nuspec.description),
            Self::Authors => Cow::Borrowed(&entry.nuspec.authors),
        }
    }
}

impl Condition {
    /// The ids the filter asks for by equality (`Id eq 'x'`,
    /// `tolower(Id) eq 'x'`), anywhere in it: the packages a proxied feed
    /// must look up upstream before filtering.
    pub fn named_ids(&self) -> Vec<String> {
        fn is_id(text: &Text) -> bool {
            match text {
                Text::Property(TextProperty::Id) => true,
                Text::Lower(inner) | Text::Upper(inner) | Text::Trim(inner) => is_id(inner),
                _ => false,
            }
        }
        fn literal(text: &Text) -> Option<&str> {
            match text {
                Text::Literal(value) => Some(value.trim()),
                Text::Lower(inner) | Text::Upper(inner) | Text::Trim(inner) => literal(inner),
                Text::Property(_) => None,
            }
        }
        let mut ids = Vec::new();
        let mut pending = vec![self];
        while let Some(condition) = pending.pop() {
            match condition {
                Condition::And(a, b) | Condition::Or(a, b) | Condition::EqualTruth(a, b, false) => {
                    pending.push(a);
                    pending.push(b);
                }
                Condition::SameText(a, b, false) => {
                    let named = if is_id(a) {
                        literal(b)
                    } else if is_id(b) {
                        literal(a)
                    } else {
                        None
                    };
                    ids.extend(named.filter(|id| !id.is_empty()).map(str::to_owned));
                }
                _ => {}
            }
        }
        ids
    }

    /// Parses a `$filter` value; the error is the reason, for a 400 answer.
    pub fn parse(source: &str) -> Result<Condition, String> {
        let tokens = tokenize(source)?;
        let mut parser = Parser {
            tokens,
            position: 0,
            depth: 0,
            operators: 0,
        };
        let expression = parser.or()?;
        if let Some(token) = parser.peek() {
            return Err(format!(
                "unexpected {} after a complete expression",
                token.describe()
            ));
        }
        expression.into_condition("the filter")
    }

    /// Whether `row` meets the condition.
    pub fn matches(&self, row: &Row<'_>) -> bool {
        match self {
            Self::Literal(value) => *value,
            Self::Property(property) => property.value(row),
            Self::Not(inner) => !inner.matches(row),
            Self::And(left, right) => left.matches(row) && right.matches(row),
            Self::Or(left, right) => left.matches(row) || right.matches(row),
            Self::EqualTruth(left, right, negated) => (left.matches(row) == right.matches(row)) != *negated,
            Self::SameText(left, right, negated) => {
                (left.eval(row).to_lowercase() == right.eval(row).to_lowercase()) != *negated
            }
            Self::Contains { haystack, needle } => haystack
                .eval(row)
                .to_lowercase()
                .contains(&needle.eval(row).to_lowercase()),
            Self::StartsWith(text, prefix) => text
                .eval(row)
                .to_lowercase()
                .starts_with(&prefix.eval(row).to_lowercase()),
            Self::EndsWith(text, suffix) => text
                .eval(row)
                .to_lowercase()
                .ends_with(&suffix.eval(row).to_lowercase()),
        }
    }
}

impl Text {
    fn eval<'a>(&'a self, row: &Row<'a>) -> Cow<'a, str> {
        match self {
            Self::Literal(text) => Cow::Borrowed(text),
            Self::Property(property) => property.value(row),
            Self::Lower(inner) => Cow::Owned(inner.eval(row).to_lowercase()),
            Self::Upper(inner) => Cow::Owned(inner.eval(row).to_uppercase()),
            Self::Trim(inner) => Cow::Owned(inner.eval(row).trim().to_owned()),
        }
    }
}

/// A parsed sub-expression, before its type is checked against its use.
enum Expression {
    Condition(Condition),
    Text(Text),
}

impl Expression {
    fn into_condition(self, what: &str) -> Result<Condition, String> {
        match self {
            Self::Condition(c) => Ok(c),
            Self::Text(_) => Err(format!(
                "{what} must be a condition (true or false), not a text value"
            )),
        }
    }

    fn into_text(self, what: &str) -> Result<Text, String> {
        match self {
            Self::Text(t) => Ok(t),
            Self::Condition(_) => Err(format!("{what} must be a text value, not a condition")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
    /// Anything else (numbers, operators), kept for the error message.
    Other(String),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Self::Word(w) => format!("'{w}'"),
            Self::Text(t) => format!("the text '{}'", t.replace('\'', "''")),
            Self::Open => "'('".into(),
            Self::Close => "')'".into(),
            Self::Comma => "','".into(),
            Self::Other(o) => format!("'{o}'"),
        }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self, Self::Word(w) if w.eq_ignore_ascii_case(word))
    }
}

fn tokenize(source: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = source.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(format!(
                                "the text starting at position {start} is not closed with '"
                            ))
                        }
                        // `''` is an escaped quote inside a text literal.
                        Some((_, '\'')) if chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        Some((_, '\'')) => break,
                        Some((_, c)) => text.push(c),
                    }
                }
                tokens.push(Token::Text(text));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut word = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        word.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Word(word));
            }
            _ => {
                let mut other = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    other.push(c);
                    chars.next();
                }
                tokens.push(Token::Other(other));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    depth: usize,
    operators: usize,
}

/// Operators OData has but Gantry does not evaluate: named in the refusal.
const UNSUPPORTED_OPERATORS: &[&str] = &["gt", "ge", "lt", "le", "add", "sub", "mul", "div", "mod"];

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_word(word)) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, expected: &Token, context: &str) -> Result<(), String> {
        match self.next() {
            Some(token) if token == *expected => Ok(()),
            Some(token) => Err(format!(
                "expected {} {context}, found {}",
                expected.describe(),
                token.describe()
            )),
            None => Err(format!(
                "expected {} {context}, but the filter ends",
                expected.describe()
            )),
        }
    }

    fn descend(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("it is nested more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }

    /// Counts one more `and` or `or` against [`MAX_OPERATORS`].
    fn join(&mut self) -> Result<(), String> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(format!(
                "it joins more than {MAX_OPERATORS} conditions with 'and' or 'or'"
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expression, String> {
        self.descend()?;
        let mut left = self.and()?;
        while self.eat_word("or") {
            self.join()?;
            let right = self.and()?;
            left = Expression::Condition(Condition::Or(
                Box::new(left.into_condition("each side of 'or'")?),
                Box::new(right.into_condition("each side of 'or'")?),
            ));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expression, String> {
        let mut left = self.unary()?;
        while self.eat_word("and") {
            self.join()?;
            let right = self.unary()?;
            left = Expression::Condition(Condition::And(
                Box::new(left.into_condition("each side of 'and'")?),
                Box::new(right.into_condition("each side of 'and'")?),
            ));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expression, String> {
        if self.eat_word("not") {
            self.descend()?;
            let inner = self.unary()?.into_condition("what follows 'not'")?;
            self.depth -= 1;
            return Ok(Expression::Condition(Condition::Not(Box::new(inner))));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expression, String> {
        let left = self.primary()?;
        let negated = if self.eat_word("eq") {
            false
        } else if self.eat_word("ne") {
            true
        } else {
            if let Some(Token::Word(word)) = self.peek() {
                if UNSUPPORTED_OPERATORS
                    .iter()
                    .any(|op| word.eq_ignore_ascii_case(op))
                {
                    return Err(format!("the operator '{word}' is not supported (use eq or ne)"));
                }
            }
            return Ok(left);
        };
        let right = self.primary()?;
        Ok(Expression::Condition(match (left, right) {
            (Expression::Text(l), Expression::Text(r)) => Condition::SameText(l, r, negated),
            (Expression::Condition(l), Expression::Condition(r)) => {
                Condition::EqualTruth(Box::new(l), Box::new(r), negated)
            }
            _ => return Err("'eq' and 'ne' compare two texts or two conditions, not one of each".into()),
        }))
    }

    fn primary(&mut self) -> Result<Expression, String> {
        match self.next() {
            None => Err("the filter ends where a value was expected".into()),
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(&Token::Close, "to close '('")?;
                Ok(inner)
            }
            Some(Token::Text(text)) => Ok(Expression::Text(Text::Literal(text))),
            Some(Token::Word(word)) => {
                if self.peek() == Some(&Token::Open) {
                    self.position += 1;
                    return self.call(&word);
                }
                if word.eq_ignore_ascii_case("true") {
                    return Ok(Expression::Condition(Condition::Literal(true)));
                }
                if word.eq_ignore_ascii_case("false") {
                    return Ok(Expression::Condition(Condition::Literal(false)));
                }
                if let Some(property) = BoolProperty::parse(&word) {
                    return Ok(Expression::Condition(Condition::Property(property)));
                }
                if let Some(property) = TextProperty::parse(&word) {
                    return Ok(Expression::Text(Text::Property(property)));
                }
                Err(format!("'{word}' is not a property that can be filtered on"))
            }
            Some(token) => Err(format!(
                "unexpected {} where a value was expected",
                token.describe()
            )),
        }
    }

    /// A function call, after its opening parenthesis.
    fn call(&mut self, name: &str) -> Result<Expression, String> {
        let mut arguments = Vec::new();
        if self.peek() != Some(&Token::Close) {
            loop {
                arguments.push(self.or()?);
                if self.peek() == Some(&Token::Comma) {
                    self.position += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(&Token::Close, &format!("to close the arguments of {name}()"))?;
        let lower = name.to_ascii_lowercase();
        let wanted = match lower.as_str() {
            "tolower" | "toupper" | "trim" => 1,
            "substringof" | "startswith" | "endswith" => 2,
            _ => return Err(format!("the function '{name}' is not supported")),
        };
        if arguments.len() != wanted {
            return Err(format!(
                "{name}() takes {wanted} argument{}, not {}",
                if wanted == 1 { "" } else { "s" },
                arguments.len()
            ));
        }
        let what = format!("each argument of {name}()");
        let mut texts = Vec::with_capacity(wanted);
        for argument in arguments {
            texts.push(argument.into_text(&what)?);
        }
        let mut texts = texts.into_iter();
        let mut take = || texts.next().unwrap_or(Text::Literal(String::new()));
        Ok(match lower.as_str() {
            "tolower" => Expression::Text(Text::Lower(Box::new(take()))),
            "toupper" => Expression::Text(Text::Upper(Box::new(take()))),
            "trim" => Expression::Text(Text::Trim(Box::new(take()))),
            "substringof" => {
                let needle = take();
                let haystack = take();
                Expression::Condition(Condition::Contains { haystack, needle })
            }
            "startswith" => Expression::Condition(Condition::StartsWith(take(), take())),
            _ => Expression::Condition(Condition::EndsWith(take(), take())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_or_chains_are_refused_before_they_overflow_the_stack() {
        // Found by fuzz/fuzz_targets/odata_filter.rs: 45,000 `and`s parsed
        // into a tree whose evaluation overflowed the stack. (That target
        // also evaluates what parses; here the longest chain is built and
        // dropped, which recurses as deep.)
        let chain = |op: &str, terms: usize| vec!["Listed"; terms].join(&format!(" {op} "));
        for op in ["and", "or"] {
            Condition::parse(&chain(op, MAX_OPERATORS + 1)).expect("at the limit");
            let err = Condition::parse(&chain(op, 45_000)).expect_err("too long");
            assert_eq!(err, "it joins more than 1000 conditions with 'and' or 'or'");
        }
        let mixed = format!("{} or {}", chain("and", 600), chain("and", 600));
        assert!(Condition::parse(&mixed).is_err());
    }

    #[test]
    fn filters_name_the_ids_they_ask_for() {
        let filter = Condition::parse("(tolower(Id) eq 'acme.tool') and IsLatestVersion or 'B' eq Id")
            .expect("filter");
        let mut ids = filter.named_ids();
        ids.sort();
        assert_eq!(ids, ["B", "acme.tool"]);
        let filter = Condition::parse("Id ne 'x' and substringof('y', Id)").expect("filter");
        assert!(filter.named_ids().is_empty());
    }

    #[test]
    fn parses_what_clients_send() {
        assert_eq!(
            Condition::parse("IsLatestVersion"),
            Ok(Condition::Property(BoolProperty::IsLatestVersion))
        );
        assert_eq!(
            Condition::parse("(tolower(Id) eq 'git') and IsLatestVersion"),
            Ok(Condition::And(
                Box::new(Condition::SameText(
                    Text::Lower(Box::new(Text::Property(TextProperty::Id))),
                    Text::Literal("git".into()),
                    false
                )),
                Box::new(Condition::Property(BoolProperty::IsLatestVersion))
            ))
        );
        assert_eq!(
            Condition::parse("IsAbsoluteLatestVersion and substringof('it''s', Tags)"),
            Ok(Condition::And(
                Box::new(Condition::Property(BoolProperty::IsAbsoluteLatestVersion)),
                Box::new(Condition::Contains {
                    haystack: Text::Property(TextProperty::Tags),
                    needle: Text::Literal("it's".into())
                })
            ))
        );
        assert!(Condition::parse("not IsPrerelease or Listed eq false and startswith(Id,'A')").is_ok());
        assert!(Condition::parse("endswith(trim(toupper(Title)), 'X') ne true").is_ok());
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let parsed = Condition::parse("true or false and false").expect("valid");
        assert!(matches!(parsed, Condition::Or(_, _)));
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for (filter, reason) in [
            ("", "ends where a value"),
            ("Id", "must be a condition"),
            ("Id eq", "ends where a value"),
            ("Id eq true", "two texts or two conditions"),
            ("DownloadCount gt 5", "not a property"),
            ("Id gt 'a'", "operator 'gt'"),
            ("IsLatestVersion and", "ends where a value"),
            ("(IsLatestVersion", "to close '('"),
            ("IsLatestVersion)", "unexpected ')'"),
            ("Id eq 'open", "not closed"),
            ("length(Id) eq 'a'", "function 'length'"),
            ("tolower(Id, Id) eq 'a'", "takes 1 argument"),
            ("substringof(IsLatestVersion, Id)", "must be a text value"),
            ("not Id", "must be a condition"),
            ("Id eq 5", "unexpected '5'"),
        ] {
            let error = Condition::parse(filter).expect_err(filter);
            assert!(error.contains(reason), "{filter}: {error}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(Condition::parse(&deep).expect_err("too deep").contains("nested"));
        let nots = format!("{}true", "not ".repeat(10_000));
        assert!(Condition::parse(&nots).expect_err("too deep").contains("nested"));
        let shallow = format!("{}true{}", "(".repeat(20), ")".repeat(20));
        assert!(Condition::parse(&shallow).is_ok());
    }
}
