//! The committed completions and man page match what the binary generates.
//! Run with UPDATE_GENERATED=1 to rewrite them after changing cli.rs.

use crate::support::wsprobe;
use std::path::Path;

const KINDS: [(&str, &str); 6] = [
    ("bash", "completions/wsprobe.bash"),
    ("zsh", "completions/_wsprobe"),
    ("fish", "completions/wsprobe.fish"),
    ("powershell", "completions/_wsprobe.ps1"),
    ("elvish", "completions/wsprobe.elv"),
    ("man", "man/wsprobe.1"),
];

#[test]
fn committed_completions_and_man_page_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (kind, rel) in KINDS {
        let out = wsprobe().args(["--generate", kind]).output().expect("runs");
        assert!(out.status.success(), "--generate {kind} failed: {out:?}");
        assert!(!out.stdout.is_empty(), "--generate {kind} wrote nothing");
        let path = root.join(rel);
        if update {
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(&path, &out.stdout).expect("write");
            continue;
        }
        match std::fs::read(&path) {
            Ok(committed) if committed == out.stdout => {}
            _ => stale.push(rel),
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are out of date: {stale:?}; run UPDATE_GENERATED=1 cargo test --test cli generated"
    );
}

#[test]
fn generate_paths_match_the_library() {
    use wsprobe::cli::Generate;
    let lib = [
        Generate::Bash,
        Generate::Zsh,
        Generate::Fish,
        Generate::Powershell,
        Generate::Elvish,
        Generate::Man,
    ]
    .map(wsprobe::generate::committed_path);
    let here = KINDS.map(|(_, p)| p);
    assert_eq!(lib, here);
}

#[test]
fn man_page_documents_exit_statuses_and_examples() {
    let out = wsprobe()
        .args(["--generate", "man"])
        .output()
        .expect("runs");
    let man = String::from_utf8(out.stdout).expect("utf8");
    for needle in [
        ".SH \"EXIT STATUS\"",
        ".SH EXAMPLES",
        ".SH DIAGNOSTICS",
        ".SH \"JSON EVENTS\"",
        ".SH \"TRACE\"",
        "_webSocketMessages",
        "1006",
        "\\-\\-wait",
        "xxd",
    ] {
        assert!(man.contains(needle), "man page lacks {needle}");
    }
}

#[test]
fn help_shows_examples_and_exit_statuses() {
    let out = wsprobe().arg("--help").output().expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).expect("utf8");
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("9 abnormal close"), "{help}");
}
