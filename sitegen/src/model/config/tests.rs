//! Tests of `sitegen.toml` parsing and validation.

use super::*;

fn parse(text: &str) -> Result<Config> {
    Config::parse(Path::new("sitegen.toml"), text)
}

const OK: &str = r#"
[[check]]
id = "a"
command = ["true"]

[[check]]
id = "b"
command = ["true"]
depends_on = ["a"]

[profiles.quick]
checks = ["a"]

[profiles.full]
extends = "quick"
checks = ["b", "a"]
"#;

#[test]
fn profiles_extend_and_order_checks() {
    let c = parse(OK).expect("parses");
    assert_eq!(c.profile_checks("full").expect("full"), vec!["a", "b"]);
    assert_eq!(c.check_order().expect("order"), vec![vec!["a"], vec!["b"]]);
    assert_eq!(c.regression.threshold, 0.10);
    assert!(c.profile_checks("nightly").is_err());
}

#[test]
fn unknown_key_names_key_and_line() {
    let err = parse("[paths]\ncontent = \"c\"\ncontnet = \"x\"\n").expect_err("typo");
    let msg = err.to_string();
    assert!(msg.starts_with("sitegen.toml:3:"), "{msg}");
    assert!(msg.contains("contnet"), "{msg}");
}

#[test]
fn duplicate_check_id_is_an_error_with_line() {
    let text =
        "[[check]]\nid = \"a\"\ncommand = [\"x\"]\n[[check]]\nid = \"a\"\ncommand = [\"y\"]\n";
    let msg = parse(text).expect_err("duplicate").to_string();
    assert!(msg.contains("duplicate check id `a`"), "{msg}");
    assert!(msg.starts_with("sitegen.toml:"), "{msg}");
}

#[test]
fn escaping_paths_are_rejected() {
    for bad in ["../x", "a/../../x", "/etc"] {
        let text = format!("[paths]\nevidence = \"{bad}\"\n");
        let msg = parse(&text).expect_err(bad).to_string();
        assert!(msg.contains("sitegen.toml:2:"), "{msg}");
        assert!(msg.contains("paths.evidence"), "{msg}");
    }
    assert!(check_relative("a/../b").is_ok());
    let text = "[[check]]\nid = \"a\"\ncommand = [\"x\"]\noutputs = [\"../../o.json\"]\n";
    assert!(
        parse(text)
            .expect_err("escape")
            .to_string()
            .contains("escapes")
    );
}

#[test]
fn cycles_and_unknown_references_are_errors() {
    let cyc = "[[check]]\nid = \"a\"\ncommand = [\"x\"]\ndepends_on = [\"b\"]\n[[check]]\nid = \"b\"\ncommand = [\"x\"]\ndepends_on = [\"a\"]\n";
    assert!(parse(cyc).expect_err("cycle").to_string().contains("cycle"));
    let unknown = "[profiles.quick]\nchecks = [\"nope\"]\n";
    assert!(
        parse(unknown)
            .expect_err("unknown")
            .to_string()
            .contains("nope")
    );
}

/// Asserts that `text` fails with a message starting `sitegen.toml:<line>:` and holding
/// `needle`.
fn fails_at(text: &str, line: usize, needle: &str) {
    let msg = parse(text).expect_err(needle).to_string();
    assert!(
        msg.starts_with(&format!("sitegen.toml:{line}: ")),
        "expected line {line}: {msg}"
    );
    assert!(msg.contains(needle), "expected `{needle}`: {msg}");
}

#[test]
fn every_error_names_the_line_of_the_key_at_fault() {
    let two =
        "# checks\n[[check]]\nid = 'a'\ncommand = ['x']\n\n[[check]]\nid = 'b'\ncommand = ['x']\n";
    // Syntax and serde errors.
    fails_at(&format!("{two}timeout_secs = \n"), 9, "");
    fails_at(&format!("{two}comand = ['y']\n"), 9, "comand");
    fails_at(&format!("{two}timeout_secs = 'long'\n"), 9, "invalid type");
    fails_at(&format!("{two}stdout = 'xml'\n"), 9, "xml");
    // Validation errors, written in ways a text search does not find.
    fails_at(
        &two.replace("id = 'b'", "id = 'a'"),
        7,
        "duplicate check id `a`",
    );
    fails_at(&two.replace("id = 'b'", "id = ''"), 7, "check id ``");
    fails_at(&format!("{two}timeout_secs = 0\n"), 9, "timeout_secs = 0");
    fails_at(
        &format!("{two}outputs = ['ok', '../../x']\n"),
        9,
        "outputs `../../x`",
    );
    fails_at(
        &format!("{two}depends_on = ['a', 'zz']\n"),
        9,
        "unknown check `zz`",
    );
    let cycle = two
        .replace(
            "command = ['x']\n\n",
            "command = ['x']\ndepends_on = ['b']\n\n",
        )
        .replace(
            "id = 'b'\ncommand = ['x']",
            "id = 'b'\ncommand = ['x']\ndepends_on = ['a']",
        );
    fails_at(&cycle, 5, "a cycle: `a` → `b` → `a`");
    fails_at(
        &format!("{two}\n[profiles]\nquick.checks = ['a', 'nope']\n"),
        11,
        "unknown check `nope`",
    );
    fails_at(
        &format!("{two}\n[profiles.'full']\nchecks = []\nextends = 'ghost'\n"),
        12,
        "unknown profile `ghost`",
    );
    fails_at(
        &format!("{two}[profiles.a]\nextends = 'b'\n[profiles.b]\nextends = 'a'\n"),
        10,
        "extends itself",
    );
    fails_at(
        "[paths]\nsignoffs = 'content/plan-signoffs.toml'\nplan = '/etc/plan.toml'\n",
        3,
        "paths.plan",
    );
    fails_at(
        "[regression]\nthreshold = 0.1\n\n[regression.overrides]\n'a.threshold' = 0.2\n'b' = -1\n",
        6,
        "overrides.\"b\"",
    );
    fails_at(
        "[gate]\nblocking = []\n[regression]\nalpha = 2.0\n",
        4,
        "alpha",
    );
}

#[test]
fn bench_checks_run_alone_after_the_normal_ones() {
    let text = "[[check]]\nid = 'b1'\nkind = 'bench'\ncommand = ['x']\n\
                [[check]]\nid = 'n1'\ncommand = ['x']\n\
                [[check]]\nid = 'b2'\nkind = 'bench'\ncommand = ['x']\ndepends_on = ['n2', 'b1']\n\
                [[check]]\nid = 'n2'\ncommand = ['x']\ndepends_on = ['n1']\n\
                [[check]]\nid = 'n3'\ncommand = ['x']\n";
    let c = parse(text).expect("parses");
    assert_eq!(c.check("b1").map(|c| c.kind), Some(CheckKind::Bench));
    assert_eq!(c.check("n1").map(|c| c.kind), Some(CheckKind::Normal));
    let all: Vec<String> = ["b2", "n3", "b1", "n2", "n1"].map(String::from).into();
    assert_eq!(
        c.run_order(&all).expect("order"),
        vec![vec!["n1", "n3"], vec!["n2"], vec!["b1"], vec!["b2"]]
    );
    let some: Vec<String> = ["b2", "n2"].map(String::from).into();
    assert_eq!(
        c.run_order(&some).expect("order"),
        vec![vec!["n2"], vec!["b2"]]
    );
}

#[test]
fn unknown_kinds_and_normal_checks_after_benches_are_errors_with_line() {
    let two = "[[check]]\nid = 'a'\ncommand = ['x']\nkind = 'bench'\n\n[[check]]\nid = 'b'\ncommand = ['x']\n";
    fails_at(&format!("{two}kind = 'benchmark'\n"), 9, "benchmark");
    fails_at(
        &format!("{two}depends_on = ['a']\n"),
        9,
        "depends on bench check `a`",
    );
    assert!(parse(&format!("{two}kind = 'bench'\ndepends_on = ['a']\n")).is_ok());
}

#[test]
fn gate_patterns_match_prefixes() {
    let g = GateConfig {
        blocking: vec!["P0.*".into(), "P5.zero-failing".into()],
    };
    assert!(g.is_blocking("P0.toolchain"));
    assert!(g.is_blocking("P5.zero-failing"));
    assert!(!g.is_blocking("P5.suite-time"));
}
