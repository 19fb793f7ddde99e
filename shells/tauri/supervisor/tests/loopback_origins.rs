//! The shared loopback-origin vectors (`tests/contracts/loopback-origins.json`), which the other
//! shells run too: one origin rule for every shell, checked against one file.

mod common;

use std::fs;

use desktop_django_supervisor::{Navigation, Origin};
use serde_json::Value;

use common::repo_root;

fn vectors() -> Value {
    let path = repo_root().join("tests/contracts/loopback-origins.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn list<'a>(value: &'a Value, pointer: &str) -> &'a Vec<Value> {
    value.pointer(pointer).and_then(Value::as_array).unwrap_or_else(|| panic!("no {pointer}"))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("no {key} in {value}"))
}

#[test]
fn accepted_ready_urls_become_their_origin() {
    let vectors = vectors();
    for case in list(&vectors, "/readyUrls/accept") {
        let origin = Origin::parse(text(case, "url"))
            .unwrap_or_else(|err| panic!("{case}: rejected: {err}"));
        assert_eq!(origin.url(), text(case, "origin"), "{case}");
    }
}

#[test]
fn rejected_ready_urls_are_refused() {
    let vectors = vectors();
    let rejected = list(&vectors, "/readyUrls/reject");
    assert!(rejected.len() >= 10, "too few vectors to mean something");
    for url in rejected {
        let url = url.as_str().expect("reject entries are strings");
        assert!(Origin::parse(url).is_err(), "{url:?} was accepted");
    }
}

#[test]
fn navigation_decisions_match() {
    let vectors = vectors();
    let backend = Origin::parse(text(&vectors, "backend")).expect("the vectors' backend parses");
    for case in list(&vectors, "/navigation") {
        let expected = match text(case, "decision") {
            "allow" => Navigation::Allow,
            "external" => Navigation::OpenInBrowser,
            "block" => Navigation::Deny,
            other => panic!("unknown decision {other:?}"),
        };
        assert_eq!(backend.navigation_for_text(text(case, "url")), expected, "{case}");
    }
}
