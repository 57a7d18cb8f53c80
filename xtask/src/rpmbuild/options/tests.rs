use super::*;
use crate::plan::options::{dev_choices, Choice};

#[test]
fn what_a_menuselect_file_looks_like() {
    let real = "MENUSELECT_ADDONS=chan_mobile chan_ooh323\nMENUSELECT_CFLAGS=LOADABLE_MODULES OPTIONAL_API\n\nMENUSELECT_OPTS_app_voicemail=FILE_STORAGE\nMENUSELECT_DEPSFAILED=MENUSELECT_CDR=cdr_pgsql\n";
    check_makeopts(real).unwrap();
    let cases = [
        ("", "it is empty"),
        ("\n\n", "it is empty"),
        (
            "res_mini=no\n",
            "line 1: 'res_mini=no' is no MENUSELECT_<NAME>=... line",
        ),
        ("MENUSELECT_APPS=x\n[general]\n", "line 2: '[general]'"),
        ("MENUSELECT_=x\n", "line 1"),
        ("#!/bin/sh\n", "line 1"),
        // Values make would evaluate: refused, never passed on.
        (
            "MENUSELECT_APPS=$(shell touch /tmp/x)\n",
            "line 1: MENUSELECT_APPS holds '$'",
        ),
        (
            "MENUSELECT_APPS=a `id`\n",
            "line 1: MENUSELECT_APPS holds '`'",
        ),
        (
            "MENUSELECT_CFLAGS=A\nMENUSELECT_APPS=x # note\n",
            "line 2: MENUSELECT_APPS holds '#'",
        ),
        (
            "MENUSELECT_APPS='x'\n",
            "line 1: MENUSELECT_APPS holds '\\''",
        ),
        // Windows line ends: make keeps the \r in the value, and the choice is lost.
        (
            "MENUSELECT_CFLAGS=A\nMENUSELECT_APPS=app_hello\r\n",
            "line 2 holds a carriage return",
        ),
    ];
    for (text, want) in cases {
        let got = check_makeopts(text).unwrap_err().to_string();
        assert!(got.starts_with(want), "{text:?}: {got}");
    }
}

/// What configure goes without (configure.ac's libraries are read by `moduleinfo`, tested there).
#[test]
fn libraries_left_out_share_their_options() {
    let configure_ac = "AST_EXT_LIB_SETUP([CRYPTO], [OpenSSL Cryptography], [crypto])\n\
        AST_EXT_LIB_SETUP([PGSQL], [PostgreSQL], [postgres])\n\
        AST_EXT_LIB_SETUP([SDL_IMAGE], [Sdl Image, with a comma], [SDL_image])\n\
        AST_EXT_LIB_SETUP([SPEEX], [Speex], [speex])\n\
        AST_EXT_LIB_SETUP([SPEEX_PREPROCESS], [Speex preprocess routines], [speex])\n";
    let allowed: BTreeSet<String> = ["CRYPTO", "SPEEX_PREPROCESS"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let left: Vec<String> =
        libraries_left_out(&moduleinfo::optional_libraries(configure_ac), &allowed)
            .into_iter()
            .map(|l| l.var)
            .collect();
    // speex stays: SPEEX_PREPROCESS shares its option.
    assert_eq!(left, ["PGSQL", "SDL_IMAGE"]);
}

#[test]
fn the_spec_names_its_libraries() {
    let cases = [
        (
            "%global asterisk_build_libraries JANSSON libedit\n",
            Some(vec!["JANSSON", "LIBEDIT"]),
        ),
        (
            "%global  asterisk_build_libraries\tZLIB\n",
            Some(vec!["ZLIB"]),
        ),
        ("%global asterisk_build_libraries_extra X\n", None),
        ("# %global asterisk_build_libraries X\n", None),
        ("Name: asterisk\n", None),
    ];
    for (spec, want) in cases {
        let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(spec_libraries(spec), want, "{spec:?}");
    }
}

#[test]
fn what_a_file_leaves_on() {
    let module = |name: &str, category: &str| Module {
        name: name.into(),
        category: category.into(),
        ..Module::default()
    };
    let modules = [
        module("app_skel", "MENUSELECT_APPS"),
        module("app_voicemail", "MENUSELECT_APPS"),
        module("cdr_pgsql", "MENUSELECT_CDR"),
        module("test_strings", "MENUSELECT_TESTS"),
    ];
    let file = "MENUSELECT_APPS=app_skel\nMENUSELECT_CDR=\nMENUSELECT_CFLAGS=DONT_OPTIMIZE\n";
    let on: Vec<&str> = left_on_by_file(file, &modules)
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    // A category the file does not mention is not the file's choice.
    assert_eq!(on, ["app_voicemail", "cdr_pgsql"]);
}

#[test]
fn configure_arguments_travel_as_lines() {
    let args = [
        "--with-x=a b",
        "CFLAGS=-DX='1' \"2\"",
        "--x=100%",
        "--y=%(touch /tmp/x)",
        "--z=$(id)`id`;id",
        "--w=a\\b",
        "--u=é ünï",
    ];
    let options = Options {
        configure_args: args.iter().map(|a| a.to_string()).collect(),
        ..Options::default()
    };
    let file = options.configure_file().unwrap();
    assert_eq!(file.lines().collect::<Vec<_>>(), args);
    assert_eq!(Options::default().configure_file(), None);
}

#[test]
fn only_the_last_choice_of_a_name_is_checked() {
    let e = |n: &str| Choice::Enable(n.into());
    let d = |n: &str| Choice::Disable(n.into());
    let ec = |n: &str| Choice::EnableCategory(n.into());
    let cases: [(Vec<Choice>, Vec<Choice>); 6] = [
        (vec![e("a"), d("b")], vec![e("a"), d("b")]),
        (vec![e("a"), d("a")], vec![d("a")]),
        (vec![d("a"), e("a"), e("b")], vec![e("a"), e("b")]),
        (vec![e("a"), ec("MENUSELECT_TESTS")], vec![e("a")]),
        // A category after a name may change it: the name is not checked.
        (
            vec![d("test_x"), ec("MENUSELECT_TESTS"), e("c")],
            vec![e("c")],
        ),
        (vec![ec("MENUSELECT_TESTS")], vec![]),
    ];
    let modules = [
        Module {
            name: "test_x".into(),
            category: "MENUSELECT_TESTS".into(),
            ..Module::default()
        },
        Module {
            name: "a".into(),
            category: "MENUSELECT_APPS".into(),
            ..Module::default()
        },
    ];
    for (choices, want) in cases {
        let got: Vec<Choice> = checked_choices(&choices, &modules)
            .into_iter()
            .cloned()
            .collect();
        assert_eq!(got, want, "{choices:?}");
    }
    // Dev's own: the tests' category does not touch the options before it.
    let mut dev = dev_choices();
    dev.push(d("DONT_OPTIMIZE"));
    dev.push(ec("MENUSELECT_APPS"));
    let got: Vec<String> = checked_choices(&dev, &modules)
        .iter()
        .map(|c| format!("{} {}", c.flag(), c.name()))
        .collect();
    assert_eq!(
        got,
        [
            "--enable TEST_FRAMEWORK",
            "--enable BETTER_BACKTRACES",
            "--disable DONT_OPTIMIZE"
        ]
    );
}

#[test]
fn digests_follow_the_choices() {
    let base = Options::default();
    let mut dev = base.clone();
    dev.dev = true;
    let mut enable = base.clone();
    enable.choices.push(Choice::Enable("app_skel".into()));
    let mut file_a = base.clone();
    file_a.menuselect_file = Some(("/a/menuselect.makeopts".into(), "aa".into()));
    let mut file_b = file_a.clone();
    file_b.menuselect_file = Some(("/b/elsewhere".into(), "aa".into()));
    let digests: BTreeSet<String> = [&base, &dev, &enable, &file_a]
        .iter()
        .map(|o| o.digest())
        .collect();
    assert_eq!(digests.len(), 4);
    // The same file's bytes from another place are the same choice.
    assert_eq!(file_a.digest(), file_b.digest());
}
