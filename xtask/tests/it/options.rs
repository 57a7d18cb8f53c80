//! Your build, your way: menuselect choices and configure arguments as flags (and one
//! environment variable), a menuselect file to start from, the module set following the spec
//! and the user rather than the build host, dev builds, and the record of it all in the package,
//! beside the RPMs and in the manifest.

use std::path::Path;

use crate::support::*;

fn left_out(manifest: &serde_json::Value) -> Vec<(String, String)> {
    manifest["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["why"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn modules(manifest: &serde_json::Value) -> Vec<String> {
    manifest["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_module_set_is_the_specs_and_yours() {
    let dir = scratch("options-modules");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let before = tree_checksums(&tree);

    // By default: the sample tree's func_mini_math needs the C math library, which every host
    // has but the spec does not name: configure is told --without-mathlib.
    let run = must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    assert!(run.stderr.contains("configure goes without 2 optional libraries the spec does not build with (mathlib, nosuchlib)"), "{}", run.stderr);
    let manifest = manifest_json(&read(&out.join("manifest.json")));
    assert_eq!(
        modules(&manifest),
        [
            "app_hello",
            "app_hello_compat",
            "res_mini",
            "res_pjsip_mini"
        ]
    );
    let why = left_out(&manifest);
    assert!(
        why.contains(&(
            "func_mini_math".into(),
            "mathlib (a library this spec does not build with)".into()
        )),
        "{why:?}"
    );
    assert!(
        why.contains(&(
            "test_mini".into(),
            "TEST_FRAMEWORK (an option of dev mode only: --dev)".into()
        )),
        "{why:?}"
    );
    assert!(
        run.stderr.contains("modules: 4 built, 4 left out"),
        "{}",
        run.stderr
    );
    assert_eq!(
        manifest["options"]["libraries_left_out"],
        serde_json::json!(["MATHLIB", "NOSUCHLIB"])
    );
    assert!(read(&out.join("build/configure-args")).contains("--without-mathlib\n"));

    // Your choices, the environment's first: --enable brings the library in, --disable drops a
    // default module, and configure takes one more argument, spaces and all.
    let run = must(xtask(
        &[
            native_rpm_args(&tree, &out),
            vec![
                "--enable",
                "func_mini_math",
                "--disable",
                "app_hello",
                "--configure-arg",
                "--with-note=a b",
            ],
        ]
        .concat(),
        &target,
        &[(
            "ASTERISK_XTASK_MENUSELECT",
            "--disable res_mini --enable DONT_OPTIMIZE",
        )],
    ));
    assert!(
        run.stderr.contains("libraries: also built with MATHLIB"),
        "{}",
        run.stderr
    );
    let manifest = manifest_json(&read(&out.join("manifest.json")));
    assert_eq!(modules(&manifest), ["func_mini_math", "res_pjsip_mini"]);
    assert_eq!(
        manifest["options"]["menuselect"],
        serde_json::json!([
            "--disable res_mini",
            "--enable DONT_OPTIMIZE",
            "--enable func_mini_math",
            "--disable app_hello"
        ])
    );
    let makeopts = read(&out.join("build/menuselect.makeopts"));
    assert!(
        makeopts.contains("MENUSELECT_CFLAGS=DONT_OPTIMIZE\n"),
        "{makeopts}"
    );
    assert!(
        makeopts.contains("MENUSELECT_APPS=app_hello\n"),
        "{makeopts}"
    );
    assert!(
        read(&out.join("build/configure-args")).ends_with("--without-nosuchlib\n--with-note=a b\n")
    );
    // The package carries the same record.
    let rpm = main_rpm(&read(&out.join("manifest.json")));
    let files = sh(&out, &format!("rpm -qlp --nosignature '{rpm}'"));
    for f in [
        "build/menuselect.makeopts",
        "build/configure-args",
        "build/modules-left-out",
    ] {
        assert!(
            files
                .lines()
                .any(|l| l.starts_with("/usr/share/doc/asterisk") && l.ends_with(f)),
            "{f}:\n{files}"
        );
    }
    let shipped = sh(
        &out,
        &format!("rpm2cpio '{rpm}' | cpio -i --quiet --to-stdout '*/build/menuselect.makeopts'"),
    );
    assert_eq!(shipped, makeopts);
    assert_eq!(tree_checksums(&tree), before, "the tree was touched");
}

#[test]
fn a_menuselect_file_to_start_from_and_a_dev_build() {
    let dir = scratch("options-file");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");

    // What `make menuselect` would have left in a tree where func_mini_math is on and res_mini
    // off: the file is never packed (git ignores it), so it is given with --menuselect.
    let file = dir.join("my.makeopts");
    std::fs::write(&file, "MENUSELECT_APPS=\nMENUSELECT_FUNCS=\nMENUSELECT_RES=res_mini res_mini_nosuch res_mini_private\nMENUSELECT_TESTS=test_mini\n").unwrap();
    must(xtask(
        &[
            native_rpm_args(&tree, &out),
            vec!["--menuselect", file.to_str().unwrap(), "--dev"],
        ]
        .concat(),
        &target,
        &[],
    ));
    let text = read(&out.join("manifest.json"));
    let manifest = manifest_json(&text);
    // The file leaves func_mini_math on: its library is the user's choice, so it is built.
    assert_eq!(
        manifest["options"]["libraries_named"],
        serde_json::json!(["MATHLIB"])
    );
    assert_eq!(
        modules(&manifest),
        [
            "app_hello",
            "app_hello_compat",
            "func_mini_math",
            "res_pjsip_mini",
            "test_mini"
        ]
    );
    // --dev: the Release says so, and the test framework with the test modules is in.
    let release = manifest_field(&text, "release");
    assert!(release.ends_with(".dev"), "{release}");
    assert!(
        manifest_artifacts(&text)
            .iter()
            .all(|a| a.1 != "rpm" || a.0.contains(".dev.")),
        "{text}"
    );
    assert_eq!(manifest["options"]["dev"], true);
    let makeopts = read(&out.join("build/menuselect.makeopts"));
    assert!(
        makeopts.contains("MENUSELECT_CFLAGS=DONT_OPTIMIZE BETTER_BACKTRACES TEST_FRAMEWORK\n"),
        "{makeopts}"
    );
    // Dev packages are for trying: compressed fast (zstd or gzip at level 1), no debuginfo.
    let rpm = main_rpm(&text);
    let payload = sh(
        &out,
        &format!("rpm -qp --nosignature --qf '%{{PAYLOADCOMPRESSOR}} %{{PAYLOADFLAGS}}' '{rpm}'"),
    );
    assert!(payload == "zstd 1" || payload == "gzip 1", "{payload}");
    // The SRPM carries the file (Source2) and rebuilds without it on the command line.
    let srpm = manifest_artifacts(&text)
        .into_iter()
        .find(|a| a.1 == "srpm")
        .unwrap()
        .0;
    let sources = sh(&out, &format!("rpm -qlp --nosignature '{srpm}'"));
    assert!(sources.contains("xtask-menuselect.makeopts"), "{sources}");

    // A build with other options is not up to date for `image`'s reuse: the digest differs.
    let digest = manifest["options"]["digest"].as_str().unwrap().to_string();
    must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    let again = manifest_json(&read(&out.join("manifest.json")));
    assert_ne!(again["options"]["digest"].as_str().unwrap(), digest);
    // A normal build keeps the distribution's packaging.
    let rpm = main_rpm(&read(&out.join("manifest.json")));
    let payload = sh(
        &out,
        &format!("rpm -qp --nosignature --qf '%{{PAYLOADFLAGS}}' '{rpm}'"),
    );
    assert_ne!(payload, "1", "a normal build was packed for trying");
    assert!(!manifest_field(&read(&out.join("manifest.json")), "release").ends_with(".dev"));
}

/// Every value reaches configure, menuselect and the SRPM byte for byte, and no shell, make or
/// rpm evaluates it on the way: quotes, `$(...)`, backticks, `%(...)`, `%{...}`, backslashes,
/// spaces and non-ASCII text arrive as typed, and nothing they name runs.
#[test]
fn arguments_reach_the_build_byte_for_byte() {
    let dir = scratch("options-bytes");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let marks = dir.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let m = |n: u32| marks.join(format!("mark{n}")).to_str().unwrap().to_string();
    let values = [
        "--with-quote=a'b\"c".to_string(),
        format!("--with-dollar=$(touch {})", m(1)),
        format!("--with-backtick=`touch {}`", m(2)),
        format!("--with-rpm=%(touch {})", m(3)),
        format!("--with-semicolon='; touch {}; '", m(4)),
        "--with-macro=%{_libdir} %% %".to_string(),
        "--with-backslash=a\\b\\\\c\\n".to_string(),
        "--with-spaces=  two  spaces  ".to_string(),
        "--with-unicode=é ünï 電話".to_string(),
        "PATH_HINT=$HOME/${USER}".to_string(),
    ];
    let mut args = native_rpm_args(&tree, &out);
    for v in &values {
        args.extend(["--configure-arg", v.as_str()]);
    }
    // Choices apply in order: the last one of a name wins, and only it is checked.
    args.extend(["--enable", "app_hello", "--disable", "app_hello"]);
    let run = must(xtask(&args, &target, &[]));
    let record = read(&out.join("build/configure-args"));
    let tail: Vec<&str> = record.lines().rev().take(values.len()).collect();
    let got: Vec<String> = tail.into_iter().rev().map(str::to_string).collect();
    assert_eq!(got, values, "configure was given:\n{record}");
    let made: Vec<_> = std::fs::read_dir(&marks).unwrap().flatten().collect();
    assert!(made.is_empty(), "a value ran: {made:?}\n{}", run.stderr);
    let manifest = manifest_json(&read(&out.join("manifest.json")));
    assert!(!modules(&manifest).contains(&"app_hello".to_string()));
    assert_eq!(
        manifest["options"]["configure_args"],
        serde_json::json!(values)
    );
    // The SRPM carries them as a file, and its rebuild configures the same way.
    let srpm = sh(&out, "ls SRPMS/*.src.rpm");
    let srpm = out.join(srpm.trim());
    let inside = sh(
        &dir,
        &format!(
            "rpm2cpio '{}' | cpio -i --quiet --to-stdout xtask-configure-args",
            srpm.display()
        ),
    );
    assert_eq!(inside.lines().collect::<Vec<_>>(), values);
    let top = dir.join("rebuild");
    let info = dir.join("rebuild-info");
    sh(
        &dir,
        &format!(
            "rpmbuild --rebuild --nodeps --define '_topdir {}' --define 'asterisk_xtask_info {}' '{}' >/dev/null 2>&1",
            top.display(),
            info.display(),
            srpm.display()
        ),
    );
    assert_eq!(read(&info.join("configure-args")), record);
    let made: Vec<_> = std::fs::read_dir(&marks).unwrap().flatten().collect();
    assert!(
        made.is_empty(),
        "a value ran in the SRPM's rebuild: {made:?}"
    );
}
