//! Environment markers (`; python_version < "3.11"`) read as pip reads them: with the grammar
//! and normalization of the `packaging` that pip vendors (26.3), not pep508_rs's.
//!
//! pep508_rs rewrites a marker into its own algebra: it drops expressions it cannot represent
//! (`'2.7' in python_version`, `python_version >= 'dog'`), swaps sides, and refuses what
//! packaging takes (`===`, the `extras` and `dependency_groups` variables). hashpin needs the
//! marker pip sees, to show it and to hand it back to pip unchanged; it evaluates markers only
//! to say who requires what in `lock --resolve`'s `# via` lines ([`Marker::evaluate`]), never
//! to decide what to record or install (pip does that). So this module keeps packaging's tree: a flat list of items
//! joined by `and`/`or` as written, groups for parentheses, and packaging's `str(Marker)`.

use std::fmt;

/// A parsed marker, as packaging's `Marker` holds it, and as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    parts: Vec<Part>,
    written: String,
}

/// One element of a marker list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// `left op right`.
    Item(Operand, Operator, Operand),
    /// A parenthesized marker.
    Group(Vec<Part>),
    /// `and` or `or`, between two others.
    Join(&'static str),
}

/// A side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operand {
    /// An environment variable, normalized (`os.name` is `os_name`).
    Variable(&'static str),
    /// A quoted string's value, its escapes read as Python reads them.
    Value(String),
}

/// `===`, `==`, `~=`, `!=`, `<=`, `>=`, `<`, `>`, `in`, `not in`.
type Operator = &'static str;

/// Why a marker does not parse: what was expected, and where (a byte offset and length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MarkerError {
    /// Byte offset into the marker text.
    pub(crate) offset: usize,
    /// Byte length of the offending text (at least 1 when there is text there).
    pub(crate) length: usize,
    /// What is wrong.
    pub(crate) message: String,
}

/// The variables packaging 26 knows, each with the name it normalizes to.
const VARIABLES: [(&str, &str); 18] = [
    ("python_version", "python_version"),
    ("python_full_version", "python_full_version"),
    ("os_name", "os_name"),
    ("os.name", "os_name"),
    ("sys_platform", "sys_platform"),
    ("sys.platform", "sys_platform"),
    ("platform_release", "platform_release"),
    ("platform_system", "platform_system"),
    ("platform_version", "platform_version"),
    ("platform.version", "platform_version"),
    ("platform_machine", "platform_machine"),
    ("platform.machine", "platform_machine"),
    (
        "platform_python_implementation",
        "platform_python_implementation",
    ),
    (
        "platform.python_implementation",
        "platform_python_implementation",
    ),
    ("python_implementation", "platform_python_implementation"),
    ("implementation_name", "implementation_name"),
    ("implementation_version", "implementation_version"),
    ("dependency_groups", "dependency_groups"),
];

/// `extra` and `extras` (`extras?` in packaging's pattern).
const EXTRA_VARIABLES: [&str; 2] = ["extra", "extras"];

/// Comparison operators, longest first, as packaging's `OP` pattern tries them.
const OPERATORS: [&str; 8] = ["===", "==", "~=", "!=", "<=", ">=", "<", ">"];

impl Marker {
    /// Parses `text` (the part after the `;`, already stripped) as packaging 26 does.
    pub(crate) fn parse(text: &str) -> Result<Self, MarkerError> {
        let mut parser = Parser { text, at: 0 };
        let parts = parser.marker()?;
        if parser.at < text.len() {
            return Err(parser.error("expected `and`, `or` or the end of the marker"));
        }
        Ok(Self {
            parts: parts.into_iter().map(normalize_extras).collect(),
            written: text.to_string(),
        })
    }

    /// The marker as written (after `${VAR}` expansion): what hashpin hands back to pip, so
    /// that pip reads exactly what it read in the user's file.
    pub(crate) fn written(&self) -> &str {
        &self.written
    }

    /// Whether two markers say the same thing, however each is spelled (quotes, spacing).
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        self.parts == other.parts
    }
}

impl Marker {
    /// Whether the marker holds in `environment` (packaging's marker variables, as pip's
    /// `--report` gives them) for any of `extras` (none: `extra` is the empty string), as
    /// packaging's `Marker.evaluate` decides: a comparison whose right side makes a PEP 440
    /// specifier compares versions, any other compares strings.
    pub(crate) fn evaluate(
        &self,
        environment: &dyn Fn(&str) -> Option<String>,
        extras: &[String],
    ) -> bool {
        if extras.is_empty() {
            return evaluate_list(&self.parts, environment, "");
        }
        extras
            .iter()
            .any(|extra| evaluate_list(&self.parts, environment, &canonical(extra)))
    }
}

/// `and` binds tighter than `or`, as in Python.
fn evaluate_list(
    parts: &[Part],
    environment: &dyn Fn(&str) -> Option<String>,
    extra: &str,
) -> bool {
    let mut any = false;
    let mut all = true;
    for part in parts {
        match part {
            Part::Join("or") => {
                any |= all;
                all = true;
            }
            Part::Join(_) => {}
            Part::Group(inner) => all &= evaluate_list(inner, environment, extra),
            Part::Item(left, operator, right) => {
                let value = |operand: &Operand| match operand {
                    Operand::Value(value) => value.clone(),
                    Operand::Variable("extra") => extra.to_string(),
                    Operand::Variable(name) => environment(name).unwrap_or_default(),
                };
                all &= compare(&value(left), operator, &value(right));
            }
        }
    }
    any || all
}

/// packaging's `_eval_op`.
fn compare(left: &str, operator: &str, right: &str) -> bool {
    if !matches!(operator, "in" | "not in")
        && let Ok(specifier) = format!("{operator}{right}").parse::<pep440_rs::VersionSpecifier>()
        && let Ok(version) = left.parse::<pep440_rs::Version>()
    {
        return specifier.contains(&version);
    }
    match operator {
        "==" | "===" => left == right,
        "!=" => left != right,
        "<" => left < right,
        "<=" => left <= right,
        ">" => left > right,
        ">=" => left >= right,
        "in" => right.contains(left),
        "not in" => !right.contains(left),
        // `~=` on what is no version: packaging raises; nothing holds.
        _ => false,
    }
}

impl fmt::Display for Marker {
    /// packaging's `str(Marker)`: `"` around values (`'` when the value holds a `"`), one
    /// space between tokens, parentheses only where a group is nested.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, &self.parts, true)
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, parts: &[Part], first: bool) -> fmt::Result {
    // packaging unwraps a one-element list around a group or an item, keeping `first`.
    if let [only] = parts {
        return match only {
            Part::Group(inner) => write_list(f, inner, first),
            _ => write_part(f, only),
        };
    }
    if !first {
        f.write_str("(")?;
    }
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            f.write_str(" ")?;
        }
        match part {
            Part::Group(inner) => write_list(f, inner, false)?,
            _ => write_part(f, part)?,
        }
    }
    if !first {
        f.write_str(")")?;
    }
    Ok(())
}

fn write_part(f: &mut fmt::Formatter<'_>, part: &Part) -> fmt::Result {
    match part {
        Part::Item(left, operator, right) => {
            write_operand(f, left)?;
            write!(f, " {operator} ")?;
            write_operand(f, right)
        }
        Part::Group(inner) => write_list(f, inner, false),
        Part::Join(word) => f.write_str(word),
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, operand: &Operand) -> fmt::Result {
    match operand {
        Operand::Variable(name) => f.write_str(name),
        // A value holding both quotes is refused at parse time (packaging cannot write it).
        Operand::Value(value) if value.contains('"') => write!(f, "'{value}'"),
        Operand::Value(value) => write!(f, "\"{value}\""),
    }
}

/// packaging's `_normalize_extras`: the value compared with `extra` is a normalized name, and
/// so is a value tested for membership in `extras` or `dependency_groups`.
fn normalize_extras(part: Part) -> Part {
    match part {
        Part::Group(inner) => Part::Group(inner.into_iter().map(normalize_extras).collect()),
        Part::Item(Operand::Variable("extra"), operator, Operand::Value(value)) => Part::Item(
            Operand::Variable("extra"),
            operator,
            Operand::Value(canonical(&value)),
        ),
        Part::Item(Operand::Value(value), operator, Operand::Variable(variable))
            if matches!(variable, "extra" | "extras" | "dependency_groups") =>
        {
            Part::Item(
                Operand::Value(canonical(&value)),
                operator,
                Operand::Variable(variable),
            )
        }
        other => other,
    }
}

/// packaging's `canonicalize_name` without validation: runs of `-_.` become `-`, lowercased.
fn canonical(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            in_run = false;
            out.extend(character.to_lowercase());
        }
    }
    out
}

/// A recursive-descent reader of packaging's marker grammar.
struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn error(&self, message: &str) -> MarkerError {
        let length = self.rest().chars().next().map_or(0, char::len_utf8);
        MarkerError {
            offset: self.at,
            length,
            message: message.to_string(),
        }
    }

    /// packaging's `WS`: spaces and tabs only.
    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    /// `word` at the cursor with a word boundary on both sides (a regex `\bword\b`).
    fn word(&self, word: &str) -> bool {
        let before = self.text[..self.at].chars().next_back();
        self.rest().starts_with(word)
            && !before.is_some_and(is_word_character)
            && !self.rest()[word.len()..]
                .chars()
                .next()
                .is_some_and(is_word_character)
            && self.rest().chars().next().is_some_and(is_word_character)
    }

    /// `marker = marker_atom (BOOLOP marker_atom)*`
    fn marker(&mut self) -> Result<Vec<Part>, MarkerError> {
        let mut parts = vec![self.atom()?];
        loop {
            let join = ["or", "and"].into_iter().find(|word| self.word(word));
            let Some(join) = join else { break };
            self.at += join.len();
            parts.push(Part::Join(if join == "or" { "or" } else { "and" }));
            parts.push(self.atom()?);
        }
        Ok(parts)
    }

    /// `marker_atom = WS? '(' WS? marker WS? ')' WS? | WS? marker_item WS?`
    fn atom(&mut self) -> Result<Part, MarkerError> {
        self.skip_space();
        let part = if self.rest().starts_with('(') {
            let open = self.at;
            self.at += 1;
            self.skip_space();
            let inner = self.marker()?;
            self.skip_space();
            if !self.rest().starts_with(')') {
                let mut error = self.error("expected `)` to close the `(` of a marker expression");
                if self.at >= self.text.len() {
                    error.offset = open;
                    error.length = 1;
                }
                return Err(error);
            }
            self.at += 1;
            Part::Group(inner)
        } else {
            self.item()?
        };
        self.skip_space();
        Ok(part)
    }

    /// `marker_item = WS? marker_var WS? marker_op WS? marker_var WS?`
    fn item(&mut self) -> Result<Part, MarkerError> {
        self.skip_space();
        let left = self.operand()?;
        self.skip_space();
        let operator = self.operator()?;
        self.skip_space();
        let right = self.operand()?;
        self.skip_space();
        Ok(Part::Item(left, operator, right))
    }

    /// `marker_var = VARIABLE | QUOTED_STRING`
    fn operand(&mut self) -> Result<Operand, MarkerError> {
        // The longest name that matches with word boundaries, as the pattern's order does.
        let mut known: Vec<(&str, &'static str)> = VARIABLES.to_vec();
        known.extend(EXTRA_VARIABLES.iter().map(|name| (*name, *name)));
        known.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        if let Some((written, normalized)) = known.into_iter().find(|(name, _)| self.word(name)) {
            self.at += written.len();
            return Ok(Operand::Variable(normalized));
        }
        let rest = self.rest();
        let quote = match rest.chars().next() {
            Some(quote @ ('\'' | '"')) => quote,
            _ => {
                return Err(self.error(
                    "expected a marker variable (such as `python_version`) or a quoted string",
                ));
            }
        };
        let Some(length) = rest[1..].find(quote) else {
            return Err(self.error("this quoted string is never closed"));
        };
        let start = self.at;
        let inner = &rest[1..=length];
        let value = python_string(inner).map_err(|why| MarkerError {
            offset: start,
            length: length + 2,
            message: format!("invalid quoted string: {why}"),
        })?;
        if value.contains('"') && value.contains('\'') {
            return Err(MarkerError {
                offset: start,
                length: length + 2,
                message:
                    "a marker string cannot hold both `'` and `\"`: packaging cannot write it back"
                        .to_string(),
            });
        }
        self.at += length + 2;
        Ok(Operand::Value(value))
    }

    /// `marker_op = IN | NOT WS IN | OP`
    fn operator(&mut self) -> Result<Operator, MarkerError> {
        if self.word("in") {
            self.at += 2;
            return Ok("in");
        }
        if self.word("not") {
            self.at += 3;
            let before = self.at;
            self.skip_space();
            if self.at == before || !self.word("in") {
                return Err(self.error("expected `in` after `not`"));
            }
            self.at += 2;
            return Ok("not in");
        }
        if let Some(operator) = OPERATORS.into_iter().find(|op| self.rest().starts_with(op)) {
            self.at += operator.len();
            return Ok(operator);
        }
        Err(self
            .error("expected a marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in"))
    }
}

/// A regex `\w` character: Python's `str` patterns are Unicode-aware.
fn is_word_character(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

/// The value of a Python string literal's body (packaging reads quoted strings with
/// `ast.literal_eval`): `\n`, `\x41`, `\u00e9`, octal, and the rest; an unknown escape stays as
/// written. `\N{…}` (a character by its Unicode name) is refused, as is a lone surrogate.
fn python_string(body: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(body.len());
    let mut characters = body.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\0' {
            return Err("it holds a NUL character");
        }
        if character != '\\' {
            out.push(character);
            continue;
        }
        let Some(escape) = characters.next() else {
            return Err("it ends in a `\\`, which escapes its closing quote");
        };
        let mut hex = |count: usize| -> Result<u32, &'static str> {
            let digits: String = (0..count).filter_map(|_| characters.next()).collect();
            if digits.len() != count || !digits.chars().all(|digit| digit.is_ascii_hexdigit()) {
                return Err("a `\\x`, `\\u` or `\\U` escape without all its hex digits");
            }
            u32::from_str_radix(&digits, 16).map_err(|_| "a malformed hex escape")
        };
        let decoded = match escape {
            '\n' => continue,
            '\\' | '\'' | '"' => escape,
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            'x' => char::from_u32(hex(2)?).ok_or("an invalid character")?,
            'u' => char::from_u32(hex(4)?).ok_or("a lone surrogate (`\\ud800`)")?,
            'U' => char::from_u32(hex(8)?).ok_or("`\\U` beyond U+10FFFF, or a surrogate")?,
            'N' => return Err("`\\N{…}` escapes are not read by hashpin; write the character"),
            '0'..='7' => {
                let mut value = escape.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match characters.peek().and_then(|next| next.to_digit(8)) {
                        Some(digit) => {
                            value = value * 8 + digit;
                            characters.next();
                        }
                        None => break,
                    }
                }
                char::from_u32(value).ok_or("an invalid octal escape")?
            }
            other => {
                out.push('\\');
                other
            }
        };
        out.push(decoded);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn evaluates_as_packaging_does() {
        let linux = |name: &str| match name {
            "python_version" => Some("3.11".to_string()),
            "python_full_version" => Some("3.11.7".to_string()),
            "sys_platform" => Some("linux".to_string()),
            "platform_machine" => Some("x86_64".to_string()),
            _ => None,
        };
        let holds = |text: &str, extras: &[&str]| {
            let extras: Vec<String> = extras.iter().map(|e| (*e).to_string()).collect();
            Marker::parse(text).unwrap().evaluate(&linux, &extras)
        };
        assert!(holds("python_version >= '3.8'", &[]));
        assert!(!holds("python_version < '3.10'", &[]));
        assert!(
            holds("python_version > '3.9'", &[]),
            "versions, not strings"
        );
        assert!(!holds("sys_platform == 'win32'", &[]));
        assert!(holds(
            "sys_platform == 'win32' or python_version >= '3'",
            &[]
        ));
        assert!(!holds(
            "sys_platform == 'linux' and python_full_version < '3.8'",
            &[]
        ));
        assert!(holds("'linux' in sys_platform", &[]));
        assert!(!holds("extra == 'test'", &[]));
        assert!(holds("extra == 'Test_Extra'", &["test-extra"]));
        assert!(holds(
            "extra == 'test' and (sys_platform == 'linux' or sys_platform == 'darwin')",
            &["docs", "test"]
        ));
        assert!(!holds(
            "extra == 'test' and sys_platform == 'darwin'",
            &["test"]
        ));
    }

    use super::*;

    fn shown(text: &str) -> String {
        Marker::parse(text).map_or_else(
            |error| format!("error: {}", error.message),
            |m| m.to_string(),
        )
    }

    #[test]
    fn writes_markers_as_packaging_does() {
        for (written, packaging) in [
            ("python_version<'3.11'", r#"python_version < "3.11""#),
            ("os.name=='nt'", r#"os_name == "nt""#),
            (
                "python_implementation == 'CPython'",
                r#"platform_python_implementation == "CPython""#,
            ),
            ("'2.7' in python_version", r#""2.7" in python_version"#),
            ("'1.0' != platform_release", r#""1.0" != platform_release"#),
            ("python_version >= 'dog'", r#"python_version >= "dog""#),
            ("(os_name == 'a')", r#"os_name == "a""#),
            (
                "((os_name == 'a' or os_name == 'b'))",
                r#"os_name == "a" or os_name == "b""#,
            ),
            (
                "sys_platform != 'linux' and(os_name == 'linux')",
                r#"sys_platform != "linux" and os_name == "linux""#,
            ),
            (
                "(os_name == 'nt')or(os_name == 'posix' and python_version > '3')",
                r#"os_name == "nt" or (os_name == "posix" and python_version > "3")"#,
            ),
            ("extra == 'Foo_Bar'", r#"extra == "foo-bar""#),
            ("'Foo.Bar' in extras", r#""foo-bar" in extras"#),
            ("extras == 'Foo'", r#"extras == "Foo""#),
            ("python_version === '3.11'", r#"python_version === "3.11""#),
            ("os_name not  in 'posix'", r#"os_name not in "posix""#),
            ("os_name == 'a\"b'", r#"os_name == 'a"b'"#),
            (r"os_name == '\x41\n'", "os_name == \"A\n\""),
            (r"os_name == 'C:\d'", r#"os_name == "C:\d""#),
        ] {
            assert_eq!(shown(written), packaging, "{written}");
        }
    }

    #[test]
    fn refuses_what_packaging_refuses() {
        for bad in [
            "python_version",
            "python_version <",
            "python_versions < '3'",
            "os_name == 'a' and",
            "(os_name == 'a'",
            "os_name == 'a')",
            "os_name == 'C:\\'",
            "os_name notin 'a'",
            "os_name not'in' 'a'",
            "os_name =! 'a'",
            "os_name\u{a0}== 'a'",
            "os_name == 'a' xor os_name == 'b'",
            "os_name == 'a'or_ os_name == 'b'",
            "os_name == \"it's\" and os_name == 'say \"x\"' and 'a\"b\\'' == os_name",
        ] {
            assert!(
                Marker::parse(bad).is_err(),
                "{bad:?} parsed as {}",
                shown(bad)
            );
        }
    }

    #[test]
    fn the_same_marker_is_the_same_however_spelled() {
        let marker = |text: &str| Marker::parse(text).unwrap();
        assert!(marker("sys_platform == 'win32'").same_as(&marker("sys_platform==\"win32\"")));
        assert!(
            marker("python_version < \"3.11\" and os.name == 'nt'")
                .same_as(&marker("python_version<'3.11' and os_name=='nt'"))
        );
        assert!(!marker("sys_platform == 'win32'").same_as(&marker("sys_platform == 'linux'")));
        assert_ne!(
            marker("sys_platform == 'win32'"),
            marker("sys_platform==\"win32\"")
        );
    }
}
