//! What `--expect` and `--expect-json` wait for: patterns parsed from the
//! command line and matched against each message received. Pure: the
//! session keeps the order and the deadlines (`session::expect`).
//!
//! `--expect` is a regular expression (the syntax of the `regex` crate, as
//! `regex-lite` implements it: no Unicode classes such as `\p{L}`, which
//! keeps the binary small) searched for anywhere in the message, text or
//! binary (binary as its lossy UTF-8 reading). `--expect-json` is a small
//! part of jq's language, the part health checks need: a path (`.`,
//! `.type`, `.data.items[0]`, `.["odd key"]`), alone (it must exist and be
//! neither null nor false, jq's truth) or compared to a JSON value with
//! `==` or `!=` (`.type == "welcome"`, `.tags == ["a","b"]`), or to a
//! number with `<`, `<=`, `>` or `>=` (`.version >= 2`). Numbers compare by
//! value, as jq's do (`1 == 1.0`). A message that is not JSON matches no
//! `--expect-json`.

use regex_lite::Regex;
use serde_json::Value;
use std::fmt;

/// One thing to wait for, as the user wrote it and as it matches.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// The flag and its argument, for messages: `--expect 'pong'`.
    shown: String,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    Regex(Regex),
    Json(JsonTest),
}

/// A jq-style test on a JSON message.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonTest {
    path: Vec<Step>,
    compare: Option<(Op, Value)>,
}

/// A comparison of a JSON test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The operators, longest first so that `<=` is not read as `<`.
const OPS: [(&str, Op); 6] = [
    ("==", Op::Eq),
    ("!=", Op::Ne),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("<", Op::Lt),
    (">", Op::Gt),
];

/// One step of a path: an object key or an array index.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

impl Expectation {
    /// `--expect PATTERN`: a regular expression.
    pub fn regex(pattern: &str) -> Result<Expectation, String> {
        let re = Regex::new(pattern)
            .map_err(|e| format!("--expect '{pattern}' is not a valid regular expression: {e}"))?;
        Ok(Expectation {
            shown: format!("--expect '{pattern}'"),
            test: Test::Regex(re),
        })
    }

    /// `--expect-json TEST`: a path, optionally compared to a JSON value.
    pub fn json(test: &str) -> Result<Expectation, String> {
        let parsed = JsonTest::parse(test).map_err(|e| {
            format!(
                "--expect-json '{test}': {e} (write a jq path, optionally compared: \
                 '.type == \"welcome\"')"
            )
        })?;
        Ok(Expectation {
            shown: format!("--expect-json '{test}'"),
            test: Test::Json(parsed),
        })
    }

    /// Whether a received message (its payload) satisfies it.
    pub fn matches(&self, data: &[u8]) -> bool {
        match &self.test {
            // Text is UTF-8 already; a binary message is matched as its
            // lossy UTF-8 reading (regex-lite searches strings).
            Test::Regex(re) => match std::str::from_utf8(data) {
                Ok(s) => re.is_match(s),
                Err(_) => re.is_match(&String::from_utf8_lossy(data)),
            },
            Test::Json(t) => serde_json::from_slice::<Value>(data).is_ok_and(|v| t.holds(&v)),
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl JsonTest {
    /// Parse `PATH`, or `PATH OP VALUE` with OP one of `==`, `!=`, `<`,
    /// `<=`, `>`, `>=` (the last four with a number).
    pub fn parse(s: &str) -> Result<JsonTest, String> {
        let s = s.trim();
        let (path, rest) = parse_path(s)?;
        let rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(JsonTest {
                path,
                compare: None,
            });
        }
        let Some((op, value)) = OPS
            .iter()
            .find_map(|(s, op)| rest.strip_prefix(s).map(|v| (*op, v)))
        else {
            return Err(format!(
                "expected ==, !=, <, <=, > or >= after the path, found '{rest}'"
            ));
        };
        let value: Value = serde_json::from_str(value.trim())
            .map_err(|e| format!("the value after the operator is not JSON ({e})"))?;
        if !matches!(op, Op::Eq | Op::Ne) && !value.is_number() {
            return Err(format!(
                "{} compares numbers, and {value} is not one",
                op_str(op)
            ));
        }
        Ok(JsonTest {
            path,
            compare: Some((op, value)),
        })
    }

    /// Whether `v` passes the test.
    pub fn holds(&self, v: &Value) -> bool {
        let found = self.path.iter().try_fold(v, |v, step| match step {
            Step::Key(k) => v.get(k.as_str()),
            Step::Index(i) => v.get(*i),
        });
        match (&self.compare, found) {
            (None, Some(v)) => !matches!(v, Value::Null | Value::Bool(false)),
            (None, None) => false,
            (Some((op @ (Op::Eq | Op::Ne), want)), found) => {
                let same = found.is_some_and(|v| same_value(v, want))
                    || (found.is_none() && want.is_null());
                same == (*op == Op::Eq)
            }
            (Some((op, want)), found) => {
                let (Some(x), Some(y)) = (found.and_then(Value::as_f64), want.as_f64()) else {
                    return false;
                };
                match op {
                    Op::Lt => x < y,
                    Op::Le => x <= y,
                    Op::Gt => x > y,
                    _ => x >= y,
                }
            }
        }
    }
}

fn op_str(op: Op) -> &'static str {
    OPS.iter().find(|(_, o)| *o == op).map_or("?", |(s, _)| *s)
}

/// JSON equality with numbers compared by value (jq: `1 == 1.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| same_value(a, b)))
        }
        _ => a == b,
    }
}

/// A path at the start of `s`; returns it and the rest of `s`.
fn parse_path(s: &str) -> Result<(Vec<Step>, &str), String> {
    if !s.starts_with('.') {
        return Err("a path starts with '.'".into());
    }
    let mut steps = Vec::new();
    let mut rest = s;
    loop {
        if let Some(r) = rest.strip_prefix('[') {
            let (step, r) = bracket(r)?;
            steps.push(step);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            if let Some(r2) = r.strip_prefix('[') {
                let (step, r2) = bracket(r2)?;
                steps.push(step);
                rest = r2;
                continue;
            }
            let end = r
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            if end == 0 {
                // `.` alone is the whole message; `.` before an operator too.
                if steps.is_empty() && (r.is_empty() || r.starts_with(char::is_whitespace)) {
                    return Ok((steps, r));
                }
                return Err(format!("expected a key after '.' in '{s}'"));
            }
            steps.push(Step::Key(r[..end].to_string()));
            rest = &r[end..];
        } else {
            return Ok((steps, rest));
        }
    }
}

/// `N]` or `"key"]` after a `[`.
fn bracket(r: &str) -> Result<(Step, &str), String> {
    let close = r.find(']').ok_or("a '[' without its ']'")?;
    let inner = r[..close].trim();
    let step = if inner.starts_with('"') {
        Step::Key(
            serde_json::from_str::<String>(inner).map_err(|e| format!("bad key {inner} ({e})"))?,
        )
    } else {
        Step::Index(
            inner
                .parse()
                .map_err(|_| format!("'[{inner}]' is neither an index nor a quoted key"))?,
        )
    };
    Ok((step, &r[close + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(t: &str, msg: &str) -> bool {
        Expectation::json(t)
            .expect("parses")
            .matches(msg.as_bytes())
    }

    #[test]
    fn regexes_search_anywhere() {
        let e = Expectation::regex("\"pong\"").expect("valid");
        assert!(e.matches(br#"{"op":"pong"}"#));
        assert!(!e.matches(br#"{"op":"ping"}"#));
        assert!(Expectation::regex("^a+$").expect("valid").matches(b"aaa"));
        assert_eq!(e.to_string(), "--expect '\"pong\"'");
    }

    #[test]
    fn bad_regexes_are_refused_with_the_reason() {
        let e = Expectation::regex("(").expect_err("invalid");
        assert!(
            e.starts_with("--expect '(' is not a valid regular expression"),
            "{e}"
        );
    }

    #[test]
    fn json_paths_compare_like_jq() {
        let msg =
            r#"{"type":"welcome","n":1,"ok":true,"data":{"items":[{"id":7}]},"odd key":null}"#;
        assert!(json(r#".type == "welcome""#, msg));
        assert!(json(r#".type=="welcome""#, msg));
        assert!(!json(r#".type == "bye""#, msg));
        assert!(json(r#".type != "bye""#, msg));
        assert!(json(".n == 1.0", msg));
        assert!(json(".data.items[0].id == 7", msg));
        assert!(json(".data.items.[0].id == 7", msg));
        assert!(json(".ok", msg));
        assert!(!json(".missing", msg));
        assert!(!json(r#".["odd key"]"#, msg));
        assert!(json(r#".["odd key"] == null"#, msg));
        assert!(json(".missing == null", msg));
        assert!(json(r#".data == {"items":[{"id":7.0}]}"#, msg));
        assert!(json(".", msg));
        assert!(json(". != null", msg));
        assert!(json(".n >= 1", msg) && json(".n <= 1", msg) && json(".n > 0.5", msg));
        assert!(!json(".n < 1", msg) && !json(".n > 1", msg));
        assert!(!json(".type > 1", msg), "a string is not a number");
        assert!(!json(".missing < 1", msg));
    }

    #[test]
    fn non_json_matches_no_json_test() {
        assert!(!json(".", "not json"));
        assert!(!json(". != 1", "not json"));
    }

    #[test]
    fn bad_json_tests_say_what_is_wrong() {
        for (t, want) in [
            ("type == 1", "a path starts with '.'"),
            (".a = 1", "expected ==, !=, <, <=, > or >= after the path"),
            (".a > \"x\"", "> compares numbers, and \"x\" is not one"),
            (".a == welcome", "is not JSON"),
            (".a[", "a '[' without its ']'"),
            (".a[x]", "neither an index nor a quoted key"),
            (".a..b", "expected a key after '.'"),
        ] {
            let e = Expectation::json(t).expect_err(t);
            assert!(e.contains(want), "{t}: {e}");
        }
    }
}
