//! The command line as users type it, good and bad.

use super::*;
use crate::container::runtime_image::{rtp_ports, DEFAULT_RTP_PORTS};
use crate::plan::flag::check_tag;
use crate::plan::place::Where;

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn parsed(s: &str) -> Command {
    parse(&args(s)).unwrap()
}

#[test]
fn rpm_flags_parse() {
    let Command::Rpm(f) = parsed(
        "rpm --native --source tests/fixtures/mini-asterisk -q --out=o --jobs 3 --rpm-version 1.2",
    ) else {
        panic!("not rpm");
    };
    assert_eq!(f.place.place, Where::Native);
    assert!(f.core.quiet && !f.place.nodeps);
    assert_eq!(f.core.source.unwrap(), "tests/fixtures/mini-asterisk");
    assert_eq!(f.core.out.unwrap(), "o");
    assert_eq!(f.core.jobs, Some(3));
    assert_eq!(f.core.rpm_version.as_deref(), Some("1.2"));
    let Command::Rpm(f) = parsed("rpm") else {
        panic!("not rpm");
    };
    assert_eq!(f.place.place, Where::Auto);
}

#[test]
fn bad_command_lines_are_one_line_usage_errors() {
    let cases = [
        ("bogus", "bogus"),
        ("rpm --bogus", "--bogus"),
        ("rpm -z", "-z"),
        ("rpm --source", "--source"),
        ("rpm --source=", "--source needs a non-empty path"),
        (
            "rpm --jobs 0",
            "--jobs takes a whole number from 1 to 1024, not '0'",
        ),
        ("rpm --jobs 99999", "from 1 to 1024"),
        ("rpm --native --container", "--container"),
        ("rpm extra", "extra"),
        ("rpm --native --native", "--native"),
        ("image --tag Bad:x", "not a valid image name"),
        ("image --tag=-rm", "not a valid image name"),
        ("smoke --tag=-x", "not a valid image name"),
        (
            "image --rtp-ports 10001-10000",
            "--rtp-ports takes FIRST-LAST",
        ),
        ("image --rtp-ports 100-200", "--rtp-ports takes FIRST-LAST"),
        ("image --rtp-ports 10000-30000", "at most 10001"),
        ("smoke --timeout 0", "--timeout takes a whole number"),
        ("smoke --native", "--native"),
        ("smoke --tag a --tag b", "--tag"),
        // An empty value is never "not given": CI's `--sign "$KEYID"` with KEYID unset.
        (
            "rpm --sign=",
            "--sign needs a value, and was given an empty one",
        ),
        (
            "rpm --sounds=",
            "--sounds takes NAME[,NAME...] with no empty name",
        ),
        ("rpm --sounds=MOH-OPSOUND-WAV,", "with no empty name"),
        ("rpm --engine=", "--engine needs a value"),
        ("rpm --base-image=", "--base-image needs a value"),
        ("rpm --rpm-version=", "--rpm-version needs a value"),
        ("rpm --rpm-release=", "--rpm-release needs a value"),
        ("rpm --enable=", "--enable takes a module"),
        (
            "rpm --configure-arg=",
            "--configure-arg takes one non-empty line",
        ),
        ("image --runtime-base=", "--runtime-base needs a value"),
        ("image --tag=", "--tag needs a value"),
        ("smoke --tag=", "--tag needs a value"),
        ("smoke --unit-tests=", "--unit-tests needs a value"),
        ("smoke --unit-tests= --tag x", "--unit-tests needs a value"),
        ("smoke --engine=", "--engine needs a value"),
        ("fetch --sounds=", "--sounds takes NAME"),
        ("image --packages=", "--packages takes subpackage names"),
        (
            "image --packages pjsip,,curl",
            "--packages takes subpackage names",
        ),
        (
            "image --packages 'a b'",
            "--packages takes subpackage names",
        ),
        (
            "rpm --without-library=",
            "--without-library takes a library",
        ),
        (
            "rpm --without-library 'pq;id'",
            "--without-library takes a library",
        ),
    ];
    for (line, want) in cases {
        let err = parse(&args(line)).unwrap_err();
        eprintln!("{line:<40} {err}");
        assert!(
            err.downcast_ref::<Usage>().is_some(),
            "{line}: not a usage error"
        );
        let err = err.to_string();
        assert!(err.contains(want), "{line}: {err}");
        assert!(!err.contains('\n'), "{line}: {err}");
    }
    assert_eq!(rtp_ports("10000-20000").unwrap(), (10000, 20000));
}

#[test]
fn image_and_smoke_flags_parse() {
    let Command::Image(f) =
        parsed("image --native --tag a:1 --tag a:dev --runtime-base base:9 --base-image b:9")
    else {
        panic!("not image");
    };
    assert_eq!(f.rpm.place.place, Where::Native);
    assert_eq!(f.tags, ["a:1", "a:dev"]);
    assert_eq!(f.runtime_base.as_deref(), Some("base:9"));
    assert_eq!(f.rpm.place.base_image.as_deref(), Some("b:9"));
    assert_eq!(f.rtp_ports, DEFAULT_RTP_PORTS);
    assert_eq!(f.packages, None);
    let Command::Image(f) = parsed("image --packages pjsip,asterisk-odbc") else {
        panic!("not image");
    };
    assert_eq!(f.packages.unwrap(), ["pjsip", "asterisk-odbc"]);
    let Command::Rpm(f) = parsed("rpm --without-library PGSQL --without-library unixodbc") else {
        panic!("not rpm");
    };
    assert_eq!(f.options.without_libraries, ["PGSQL", "unixodbc"]);
    let Command::Smoke(s) = parsed("smoke --tag x:1 --timeout 5") else {
        panic!("not smoke");
    };
    assert_eq!((s.tag.as_deref(), s.timeout_secs), (Some("x:1"), 5));
}

#[test]
fn help_and_version_are_the_manual() {
    for line in [
        "",
        "--help",
        "rpm --help",
        "image --help",
        "smoke --help",
        "--version",
    ] {
        assert!(matches!(parsed(line), Command::Print(_)), "{line}");
    }
    let Command::Print(main) = parsed("--help") else {
        unreachable!()
    };
    for name in ["rpm", "image", "smoke", "Usage: cargo xtask"] {
        assert!(main.contains(name), "{name}:\n{main}");
    }
    let Command::Print(rpm) = parsed("rpm --help") else {
        unreachable!()
    };
    let Command::Print(image) = parsed("image --help") else {
        unreachable!()
    };
    for flag in [
        "--native",
        "--container",
        "--source",
        "--out",
        "--jobs",
        "--dry-run",
        "--quiet",
    ] {
        assert!(rpm.contains(flag) && image.contains(flag), "{flag}:\n{rpm}");
    }
    assert!(
        image.contains("--runtime-base") && image.contains("--rtp-ports"),
        "{image}"
    );
    let Command::Print(version) = parsed("--version") else {
        unreachable!()
    };
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
}

#[test]
fn menuselect_and_configure_choices_keep_their_order() {
    let Command::Image(f) = parsed(
        "image --enable app_skel --disable-category MENUSELECT_TESTS --disable chan_iax2 \
         --configure-arg --with-foo --configure-arg=CFLAGS=-g --dev --menuselect m.makeopts",
    ) else {
        panic!("not image");
    };
    use crate::plan::options::{join_configure_args, Choice};
    assert_eq!(
        f.rpm.options.choices,
        [
            Choice::Enable("app_skel".into()),
            Choice::DisableCategory("MENUSELECT_TESTS".into()),
            Choice::Disable("chan_iax2".into()),
        ]
    );
    assert_eq!(f.rpm.options.configure_args, ["--with-foo", "CFLAGS=-g"]);
    assert!(f.rpm.options.dev);
    assert_eq!(f.rpm.options.menuselect.unwrap(), "m.makeopts");
    // A flag-like value after --configure-arg is its value; a last --configure-arg has none.
    assert_eq!(
        join_configure_args(&["rpm", "--configure-arg", "--dev", "--configure-arg"]),
        ["rpm", "--configure-arg=--dev", "--configure-arg"]
    );
}

#[test]
fn unit_tests_take_a_category_or_none() {
    let cases = [
        ("smoke", None),
        ("smoke --unit-tests", Some("")),
        ("smoke --unit-tests /main/strings/", Some("/main/strings/")),
        ("smoke --unit-tests --tag t", Some("")),
    ];
    for (line, want) in cases {
        let Command::Smoke(f) = parsed(line) else {
            panic!("not smoke");
        };
        assert_eq!(f.unit_tests.as_deref(), want, "{line}");
    }
}

#[test]
fn image_tags() {
    for good in [
        "asterisk:dev",
        "registry.local:5000/pbx/asterisk:22.1.0-1",
        "asterisk",
    ] {
        check_tag(good).unwrap();
    }
    for bad in [
        "Asterisk:dev",
        "asterisk:",
        "asterisk:a^b",
        "",
        "asterisk:-x",
    ] {
        assert!(check_tag(bad).is_err(), "{bad}");
    }
}

/// The flags of other programs that the docs name in a span of their own.
const OTHER_PROGRAMS_FLAGS: &[(&str, &str)] = &[
    ("--define", "rpmbuild"),
    ("--init", "docker run"),
    ("--user", "docker run"),
    ("--privileged", "docker run"),
    ("--network", "docker run"),
    ("--format", "podman build"),
    ("--without", "configure"),
    ("--without-<name>", "configure"),
    ("--with-sounds-cache", "configure"),
    ("--with-pjproject-bundled", "configure"),
    ("--enable-dev-mode", "configure"),
    ("--with-libjwt-bundled", "configure"),
    ("--oldpackage", "rpm"),
    ("--showrc", "rpm"),
    ("--import", "rpm"),
    ("--without-<option>", "configure"),
    ("--libdir", "configure"),
    ("--check-deps", "menuselect"),
    ("-r", "uname"),
    ("-p", "docker run"),
    ("-e", "docker run"),
    ("--with-download-cache", "configure"),
];

/// The flags a `--help` declares: the first words of its option lines (`-q, --quiet`,
/// `--out=DIR`, `--unit-tests[=CATEGORY]`), not what its prose mentions.
fn declared_flags(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in help.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        let head = line.split("  ").next().unwrap_or(line);
        for part in head.split(", ") {
            if let Some(name) = part.strip_prefix("--") {
                let name = name.split(['=', '[', ' ']).next().unwrap_or(name);
                out.push(format!("--{name}"));
            } else if part.len() >= 2 && part.starts_with('-') {
                out.push(part[..2].to_string());
            }
        }
    }
    out
}

/// The docs' lines, each command line continued with `\` read as one, and so each line of
/// prose whose span goes on to the next (an odd number of backticks outside a code block).
fn doc_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    let mut fenced = false;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        if fence {
            fenced = !fenced;
        }
        match open {
            true => out.last_mut().unwrap().push_str(line.trim_start()),
            false => out.push(line.to_string()),
        }
        let last = out.last_mut().unwrap();
        open = line.trim_end().ends_with('\\');
        if open {
            last.truncate(last.trim_end().len() - 1);
            last.truncate(last.trim_end().len());
            last.push(' ');
        } else if !fenced && !fence && last.matches('`').count() % 2 == 1 {
            open = true;
            last.push(' ');
        }
    }
    out
}

/// Every `cargo xtask COMMAND` the docs name is a command, every flag after it is one of that
/// command's (its `--help` declares it), also in a span that names the command alone
/// (`` `smoke --call` ``) and on a command line continued with `\`; and a flag named alone is
/// one of some command's (or of another program's, listed above).
#[test]
fn every_command_and_flag_the_docs_name_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut docs = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap().flatten() {
        docs.push(entry.path());
    }
    let commands = COMMANDS;
    let help = |cmd: &str| match parse(&[cmd.to_string(), "--help".to_string()]).unwrap() {
        Command::Print(text) => text,
        _ => panic!("no help for {cmd}"),
    };
    let declared: Vec<(&str, Vec<String>)> = commands
        .iter()
        .map(|c| (*c, declared_flags(&help(c))))
        .collect();
    assert!(declared
        .iter()
        .all(|(_, f)| f.contains(&"--help".to_string())));
    // `--flag`, `--flag=V`, or a short one, `-q`.
    let flag_of = |word: &str| -> Option<String> {
        let word = word.trim_matches(|c: char| "`(),.;:'\"".contains(c));
        let flag = word.split('=').next().unwrap_or(word);
        let short = flag.len() == 2
            && flag.starts_with('-')
            && flag[1..].chars().all(|c| c.is_ascii_alphabetic());
        let long = flag.starts_with("--") && flag.len() > 2 && !flag.contains('<');
        (long || short).then(|| {
            flag.trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        })
    };
    let others = |flag: &str, program: Option<&str>| {
        OTHER_PROGRAMS_FLAGS
            .iter()
            .any(|(f, p)| *f == flag && program.is_none_or(|program| *p == program))
    };
    let mut wrong = Vec::new();
    // The flags of `words`, a command line of `cmd`, that it does not declare. `bare`: a span
    // that names the command alone, where `rpm -K` is the rpm program's.
    let check = |name: &str, cmd: &str, words: &[&str], bare: bool, wrong: &mut Vec<String>| {
        let Some((_, flags)) = declared.iter().find(|(c, _)| *c == cmd) else {
            wrong.push(format!("{name}: `cargo xtask {cmd}` is no command"));
            return;
        };
        for (i, word) in words.iter().enumerate() {
            // `--configure-arg --with-foo`: the second is configure's, a value.
            if i > 0 && words[i - 1] == "--configure-arg" {
                continue;
            }
            if let Some(flag) = flag_of(word) {
                // A span `rpm --import` may be the rpm program's.
                let rpm_program =
                    cmd == "rpm" && bare && (others(&flag, Some("rpm")) || !flag.starts_with("--"));
                if !flags.contains(&flag) && !rpm_program {
                    wrong.push(format!("{name}: `cargo xtask {cmd}` has no {flag}"));
                }
            }
        }
    };
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        let name = doc.file_name().unwrap().to_string_lossy().to_string();
        for line in doc_lines(&text) {
            for (at, _) in line.match_indices("cargo xtask ") {
                // The command line: up to the end of the span, a comment or a table cell.
                let rest = &line[at + "cargo xtask ".len()..];
                let end = rest.find(['`', '#', '|']).unwrap_or(rest.len());
                let mut words = rest[..end].split_whitespace();
                let Some(cmd) = words.next() else { continue };
                if cmd.starts_with('-') || cmd.starts_with('<') {
                    continue;
                }
                let cmd = cmd.trim_matches(|c: char| !c.is_alphanumeric());
                check(&name, cmd, &words.collect::<Vec<_>>(), false, &mut wrong);
            }
            for span in line.split('`').skip(1).step_by(2) {
                let words: Vec<&str> = span.split_whitespace().collect();
                match words.as_slice() {
                    // A command named alone with its flags: `smoke --call`, `xtask rpm -q`.
                    [cmd, rest @ ..] if commands.contains(cmd) => {
                        check(&name, cmd, rest, true, &mut wrong)
                    }
                    ["xtask", cmd, rest @ ..] => check(&name, cmd, rest, false, &mut wrong),
                    // Flags in a span of their own: `--flag`, `--flag VALUE`, `--dev --sign K`.
                    [first, ..] if flag_of(first).is_some() => {
                        for (i, word) in words.iter().enumerate() {
                            if i > 0 && words[i - 1] == "--configure-arg" {
                                continue;
                            }
                            let Some(flag) = flag_of(word) else { continue };
                            let ours = declared.iter().any(|(_, f)| f.contains(&flag));
                            if !ours && !others(&flag, None) {
                                wrong.push(format!(
                                    "{name}: `{span}` names {flag}, no flag of the xtask's"
                                ));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the docs name what does not exist:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_docs_check_reads_help_and_lines_right() {
    let help = "Usage: x\n\nAvailable options:\n    -q, --quiet   One line\n        --out=DIR   Where (not --addsign)\n        --unit-tests[=CATEGORY]  Run\n        --sounds=<NAME[,NAME...]>  Sets\n    -h, --help  Prints help\n";
    assert_eq!(
        declared_flags(help),
        [
            "-q",
            "--quiet",
            "--out",
            "--unit-tests",
            "--sounds",
            "-h",
            "--help"
        ]
    );
    assert_eq!(
        doc_lines("a `cargo xtask\nrpm --x` b\n```\nodd ` in code\n```\nc"),
        [
            "a `cargo xtask rpm --x` b",
            "```",
            "odd ` in code",
            "```",
            "c"
        ]
    );
    assert_eq!(
        doc_lines("cargo xtask rpm \\\n    --native \\\n  --out x\nnext"),
        ["cargo xtask rpm --native --out x", "next"]
    );
}

/// Every flag that takes a value, in every command's --help, refuses an empty one in one line
/// (a flag added later is covered without being listed).
#[test]
fn every_flag_that_takes_a_value_refuses_an_empty_one() {
    let commands = COMMANDS;
    let mut tried = 0;
    for cmd in commands {
        let Command::Print(help) = parse(&[cmd.to_string(), "--help".to_string()]).unwrap() else {
            panic!("no help for {cmd}");
        };
        for line in help.lines() {
            // `    --out=DIR   What...` or `    --sounds=<NAME[,NAME...]>  ...`
            let Some(flag) = line.trim_start().strip_prefix("--") else {
                continue;
            };
            let Some((name, _)) = flag.split_once('=') else {
                continue;
            };
            // A flag whose value is optional (`--unit-tests[=CATEGORY]`) is its own row above.
            if name.contains('[') {
                continue;
            }
            let line = [cmd.to_string(), format!("--{name}=")];
            let err = match parse(&line) {
                Ok(_) => panic!("{cmd} --{name}= was taken"),
                Err(e) => e,
            };
            assert!(
                err.downcast_ref::<Usage>().is_some(),
                "{cmd} --{name}=: not a usage error: {err}"
            );
            let text = err.to_string();
            assert!(
                text.contains(&format!("--{name}")) && !text.contains('\n'),
                "{cmd} --{name}=: {text}"
            );
            tried += 1;
        }
    }
    // rpm alone has more than twenty.
    assert!(tried > 40, "only {tried} flags with values were found");
}
