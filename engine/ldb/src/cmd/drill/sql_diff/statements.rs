//! The seeded statement generator of the SQL differential drill: one table of every column
//! kind both engines store alike, and random statements over it — inserts (some colliding with
//! the primary or unique key), updates (some violating NOT NULL), deletes, and queries with
//! nested predicates, arithmetic, `IN`, `BETWEEN`, `LIKE`, `IS NULL`, aggregates and `GROUP
//! BY`.
//!
//! Values are chosen so that the two engines' documented differences never arise: integers are
//! small (no overflow, which Lightning reports and SQLite turns into a double), doubles are
//! multiples of 1/4 (sums are exact), text is lowercase ASCII (SQLite's `LIKE` ignores ASCII
//! case), there is no division (SQLite gives NULL for a zero divisor, Lightning an error), and
//! each comparison is between values of one type.

use lightning_db::util::rng::SplitMix64;

/// The table both engines create.
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE t (id BIGINT PRIMARY KEY, a BIGINT, b BIGINT NOT NULL, x DOUBLE, s TEXT, f BOOLEAN, u BIGINT)",
    "CREATE INDEX t_a ON t (a)",
    "CREATE INDEX t_s_b ON t (s, b)",
    "CREATE UNIQUE INDEX t_u ON t (u)",
];

/// How a statement's results are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A write: compared by success and rows affected.
    Write,
    /// A query whose order is fixed (`ORDER BY id` or `b, id`): rows compared in order.
    Ordered,
    /// A query without a total order (`GROUP BY`): rows compared as a multiset.
    Unordered,
}

/// The generator: a seeded stream of statements.
pub struct Generator {
    rng: SplitMix64,
}

const TEXTS: &[&str] = &["", "a", "b", "c", "ab", "ba", "abc", "cab"];
const INT_COLS: &[&str] = &["a", "b", "u"];

impl Generator {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: SplitMix64::new(seed),
        }
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from.get(self.rng.below(from.len() as u64) as usize)
            .copied()
            .unwrap_or("")
    }

    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.rng.below((hi - lo + 1) as u64) as i64
    }

    fn maybe_null(&mut self, lit: String) -> String {
        if self.rng.chance(1, 6) {
            "NULL".to_string()
        } else {
            lit
        }
    }

    fn int_lit(&mut self) -> String {
        self.int(-20, 20).to_string()
    }

    fn double_lit(&mut self) -> String {
        format!("{:.2}", self.int(-40, 40) as f64 / 4.0)
    }

    fn text_lit(&mut self) -> String {
        format!("'{}'", self.pick(TEXTS))
    }

    fn bool_lit(&mut self) -> String {
        if self.rng.chance(1, 2) {
            "TRUE"
        } else {
            "FALSE"
        }
        .to_string()
    }

    /// The next statement and how to compare its results.
    pub fn statement(&mut self) -> (String, Shape) {
        match self.rng.below(20) {
            0..=5 => (self.insert(), Shape::Write),
            6..=7 => (self.update(), Shape::Write),
            8 => (self.delete(), Shape::Write),
            9..=14 => (self.select_rows(), Shape::Ordered),
            15..=17 => (self.select_groups(), Shape::Unordered),
            _ => (self.select_totals(), Shape::Ordered),
        }
    }

    fn insert(&mut self) -> String {
        let id = self.int(0, 150);
        let a = self.int_lit();
        let a = self.maybe_null(a);
        let b = if self.rng.chance(1, 30) {
            "NULL".to_string()
        } else {
            self.int(0, 9).to_string()
        };
        let x = self.double_lit();
        let x = self.maybe_null(x);
        let s = self.text_lit();
        let s = self.maybe_null(s);
        let f = self.bool_lit();
        let f = self.maybe_null(f);
        let u = self.int(0, 400).to_string();
        let u = self.maybe_null(u);
        format!("INSERT INTO t (id, a, b, x, s, f, u) VALUES ({id}, {a}, {b}, {x}, {s}, {f}, {u})")
    }

    fn assignment(&mut self) -> String {
        match self.rng.below(6) {
            0 => {
                let v = self.int_lit();
                format!("a = {}", self.maybe_null(v))
            }
            1 => "a = a + 1".to_string(),
            2 => format!(
                "b = {}",
                if self.rng.chance(1, 10) {
                    "NULL".into()
                } else {
                    self.int(0, 9).to_string()
                }
            ),
            3 => {
                let v = self.double_lit();
                format!("x = {}", self.maybe_null(v))
            }
            4 => {
                let v = self.text_lit();
                format!("s = {}", self.maybe_null(v))
            }
            _ => {
                let v = self.bool_lit();
                format!("f = {}", self.maybe_null(v))
            }
        }
    }

    fn update(&mut self) -> String {
        let mut sets = vec![self.assignment()];
        if self.rng.chance(1, 3) {
            sets.push(self.assignment());
        }
        // One column assigned twice is an error in both engines' grammars only sometimes:
        // keep the assignments to distinct columns.
        sets.dedup_by(|x, y| x.split(' ').next() == y.split(' ').next());
        let pred = self.predicate(2);
        format!("UPDATE t SET {} WHERE {pred}", sets.join(", "))
    }

    fn delete(&mut self) -> String {
        let pred = self.predicate(2);
        format!("DELETE FROM t WHERE {pred}")
    }

    fn int_expr(&mut self) -> String {
        match self.rng.below(6) {
            0 => "a + b".to_string(),
            1 => "b - a".to_string(),
            2 => "a * 2".to_string(),
            3 => "-a".to_string(),
            4 => format!("b + {}", self.int(0, 5)),
            _ => self.pick(INT_COLS).to_string(),
        }
    }

    /// A boolean predicate nested at most `depth` levels.
    fn predicate(&mut self, depth: u32) -> String {
        if depth > 0 && self.rng.chance(2, 5) {
            let l = self.predicate(depth - 1);
            return match self.rng.below(3) {
                0 => format!("({l} AND {})", self.predicate(depth - 1)),
                1 => format!("({l} OR {})", self.predicate(depth - 1)),
                _ => format!("NOT ({l})"),
            };
        }
        let op = self.pick(&["=", "<>", "<", "<=", ">", ">="]);
        match self.rng.below(11) {
            0 | 1 => {
                let e = self.int_expr();
                format!("{e} {op} {}", self.int_lit())
            }
            2 => format!("x {op} {}", self.double_lit()),
            3 => format!("s {op} {}", self.text_lit()),
            4 => format!("f = {}", self.bool_lit()),
            5 => format!(
                "{} IS {}NULL",
                self.pick(&["a", "x", "s", "f", "u"]),
                if self.rng.chance(1, 2) { "NOT " } else { "" }
            ),
            6 => {
                let n = 1 + self.rng.below(4);
                let lits: Vec<String> = (0..n).map(|_| self.int_lit()).collect();
                let not = if self.rng.chance(1, 3) { "NOT " } else { "" };
                format!("a {not}IN ({})", lits.join(", "))
            }
            7 => {
                let lo = self.int(-10, 5);
                format!("b BETWEEN {lo} AND {}", lo + self.int(0, 8))
            }
            8 => format!(
                "s LIKE '{}'",
                self.pick(&["a%", "%b", "_", "%a%", "ab", "%"])
            ),
            9 => format!("id {op} {}", self.int(0, 150)),
            _ => format!("s {op} {}", self.text_lit()),
        }
    }

    fn select_rows(&mut self) -> String {
        let cols = match self.rng.below(3) {
            0 => "*".to_string(),
            1 => format!("id, {}, s", self.int_expr()),
            _ => format!("id, x, f, {}", self.int_expr()),
        };
        let pred = self.predicate(3);
        let limit = if self.rng.chance(1, 3) {
            format!(" LIMIT {}", self.int(0, 10))
        } else {
            String::new()
        };
        let dir = if self.rng.chance(1, 2) { "" } else { " DESC" };
        // `b` is NOT NULL: ordering by it never meets the engines' different NULL placement.
        let order = match self.rng.below(3) {
            0 => format!("b{dir}, id"),
            _ => format!("id{dir}"),
        };
        format!("SELECT {cols} FROM t WHERE {pred} ORDER BY {order}{limit}")
    }

    fn select_groups(&mut self) -> String {
        let key = self.pick(&["a", "b", "s", "f"]);
        let pred = self.predicate(2);
        let having = if self.rng.chance(1, 4) {
            format!(" HAVING COUNT(*) > {}", self.int(0, 3))
        } else {
            String::new()
        };
        format!(
            "SELECT {key}, COUNT(*), COUNT(a), SUM(b), MIN(a), MAX(x), MIN(s) FROM t WHERE {pred} GROUP BY {key}{having}"
        )
    }

    fn select_totals(&mut self) -> String {
        let pred = self.predicate(3);
        format!("SELECT COUNT(*), SUM(a), SUM(x), AVG(b), MIN(u), MAX(s) FROM t WHERE {pred}")
    }
}
