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
            "app_voicemail",
            "app_voicemail_odbc",
            "cdr_mini_pgsql",
            "res_mini",
            "res_mini_odbc",
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
        run.stderr.contains("modules: 8 built, 4 left out"),
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
    // No family has the math library: its module gets a package named after it, and said so.
    assert!(
        run.stderr.contains("subpackages: named after their library, no family having it: asterisk-mathlib (for MATHLIB)"),
        "{}",
        run.stderr
    );
    let manifest = manifest_json(&read(&out.join("manifest.json")));
    assert_eq!(
        modules(&manifest),
        [
            "app_voicemail",
            "app_voicemail_odbc",
            "cdr_mini_pgsql",
            "func_mini_math",
            "res_mini_odbc",
            "res_pjsip_mini"
        ]
    );
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
            "app_voicemail",
            "app_voicemail_odbc",
            "cdr_mini_pgsql",
            "func_mini_math",
            "res_mini_odbc",
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
/// rpm evaluates it on the way: `%`, spaces and non-ASCII text arrive as typed; what make or
/// its recipes' shell would read once configure copied it into makeopts (`$`, backticks,
/// quotes, `;`, parentheses, braces, backslashes) is refused, and nothing it names runs.
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
        "--with-macro=%_libdir %% %".to_string(),
        "--with-spaces=  two  spaces  ".to_string(),
        "--with-unicode=é ünï 電話".to_string(),
        "--with-plain=a,b:c+d@e^f~g/h".to_string(),
        "PATH_HINT=~/x".to_string(),
    ];
    // What make (reading configure's makeopts) or its recipes' shell would read is refused,
    // in one line, before anything runs.
    for bad in [
        format!("CFLAGS=-O2 $(shell touch {})", m(1)),
        format!("--with-backtick=`touch {}`", m(2)),
        format!("--with-rpm=%(touch {})", m(3)),
        format!("CC=gcc -DX=1;touch {};gcc", m(4)),
        format!("--sysconfdir=/etc';touch {};'", m(5)),
        "--with-quote=a'b\"c".to_string(),
        "--with-backslash=a\\b".to_string(),
        "PATH_HINT=$HOME/${USER}".to_string(),
        "--with-braces=%{_libdir}".to_string(),
    ] {
        let mut args = native_rpm_args(&tree, &out);
        args.extend(["--configure-arg", bad.as_str()]);
        let refused = xtask(&args, &target, &[]);
        assert_eq!(refused.code, Some(2), "{bad}: {}", refused.stderr);
        assert!(
            refused
                .error()
                .contains("which make or its recipes' shell would expand"),
            "{bad}: {}",
            refused.stderr
        );
        assert!(!out.exists(), "{bad}: it wrote {}", out.display());
    }
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

/// The subpackages come from the tree: each library's modules in its family's package (the
/// main one needs none of the libraries), the voicemail variants apart; `--without-library`
/// leaves a library out with its modules and package, and says so before the build.
#[test]
fn subpackages_follow_the_tree_and_going_without_a_library_says_what_it_costs() {
    let dir = scratch("options-packages");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let out = dir.join("out");
    let run = must(xtask(&native_rpm_args(&tree, &out), &target, &[]));
    assert!(
        run.stderr.contains("subpackages: 5 from the tree's MODULEINFO: asterisk-odbc (1), asterisk-pjsip (1), asterisk-postgresql (1), asterisk-voicemail-odbc (1), asterisk-voicemail-plain (1)"),
        "{}",
        run.stderr
    );
    let manifest = manifest_json(&read(&out.join("manifest.json")));
    let package = |name: &str| {
        manifest["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}: {manifest}"))
    };
    assert_eq!(
        package("asterisk-postgresql")["modules"],
        serde_json::json!(["cdr_mini_pgsql"])
    );
    assert_eq!(
        package("asterisk-voicemail-odbc")["requires"],
        serde_json::json!(["asterisk-odbc"])
    );
    assert_eq!(
        package("asterisk-voicemail-plain")["conflicts"],
        serde_json::json!(["asterisk-voicemail-odbc"])
    );
    let main = package("asterisk");
    assert_eq!(
        main["modules"],
        serde_json::json!(["app_hello", "app_hello_compat", "res_mini"])
    );
    // What rpm says of them: the main package needs no library a module brought, each
    // subpackage needs the main one at its exact version and its own library; a module's
    // configuration goes with it, every variant's stays in the main package.
    let rpm_of = |name: &str| out.join(package(name)["path"].as_str().unwrap());
    let q = |flag: &str, name: &str| {
        sh(
            &out,
            &format!("rpm -qp --nosignature {flag} '{}'", rpm_of(name).display()),
        )
    };
    let main_requires = q("-R", "asterisk");
    assert!(
        !main_requires.contains("libz.so") && !main_requires.contains("liblzma"),
        "{main_requires}"
    );
    let version = format!(
        "{}-{}",
        manifest["version"].as_str().unwrap(),
        manifest["release"].as_str().unwrap()
    );
    let pg = q("-R", "asterisk-postgresql");
    assert!(
        pg.contains(&format!("asterisk(x86-64) = {version}")),
        "{pg}"
    );
    assert!(pg.contains("libz.so.1()(64bit)"), "{pg}");
    assert!(q("-R", "asterisk-odbc").contains("liblzma.so.5()(64bit)"));
    assert!(q("--conflicts", "asterisk-voicemail-plain").contains("asterisk-voicemail-odbc"));
    assert!(q("-l", "asterisk-postgresql").contains("/etc/asterisk/cdr_mini_pgsql.conf"));
    let main_files = q("-l", "asterisk");
    assert!(
        main_files.contains("/etc/asterisk/voicemail.conf"),
        "{main_files}"
    );
    assert!(!main_files.contains("cdr_mini_pgsql"), "{main_files}");
    // The configuration is Asterisk's own, and logrotate rotates as it.
    let modes = sh(
        &out,
        &format!("rpm -qp --nosignature --qf '[%{{FILEUSERNAME}}:%{{FILEGROUPNAME}} %{{FILEMODES:perms}} %{{FILENAMES}}\\n]' '{}' | grep ' /etc/asterisk'", rpm_of("asterisk").display()),
    );
    assert!(
        modes.contains("asterisk:asterisk drwxr-x--- /etc/asterisk\n"),
        "{modes}"
    );
    assert!(
        modes.contains("asterisk:asterisk -rw-r----- /etc/asterisk/rtp.conf\n"),
        "{modes}"
    );
    let logrotate = sh(
        &out,
        &format!(
            "rpm2cpio '{}' | cpio -i --quiet --to-stdout ./etc/logrotate.d/asterisk",
            rpm_of("asterisk").display()
        ),
    );
    assert!(
        logrotate.contains("\tsu asterisk asterisk\n\tcreate 0640 asterisk asterisk\n"),
        "{logrotate}"
    );
    // The service's scriptlets are there without systemd's rpm macros (Debian's rpm has none).
    let scripts = q("--scripts", "asterisk");
    for want in [
        "systemctl --no-reload preset asterisk.service",
        "disable --now asterisk.service",
        "try-restart asterisk.service",
    ] {
        assert!(scripts.contains(want), "{want}:\n{scripts}");
    }

    // A module a contributor adds that needs libpq lands in asterisk-postgresql, the spec as it
    // was: in the SRPM's spec (its description) and map. (The sample tree's Makefile builds the
    // modules it lists, so the new one is not compiled here; real Asterisk builds every one.)
    sh(
        &tree,
        "printf '/*** MODULEINFO\\n\\t<depend>pgsql</depend>\\n ***/\\n#include \"asterisk.h\"\\n' > cdr/cdr_mini_pg2.c",
    );
    let added = dir.join("added");
    must(xtask(&native_rpm_args(&tree, &added), &target, &[]));
    let spec = sh(
        &added,
        "rpm2cpio SRPMS/*.src.rpm | cpio -i --quiet --to-stdout asterisk.spec",
    );
    // (The description is wrapped at rpmlint's 79 columns.)
    assert!(
        spec.split_whitespace().collect::<Vec<_>>().join(" ").contains("Generated from the tree's MODULEINFO by cargo xtask rpm: cdr_mini_pg2, cdr_mini_pgsql."),
        "{spec}"
    );
    let map = sh(
        &added,
        "rpm2cpio SRPMS/*.src.rpm | cpio -i --quiet --to-stdout xtask-packages",
    );
    assert!(
        map.contains("module cdr_mini_pg2 asterisk-postgresql\n"),
        "{map}"
    );
    sh(&tree, "rm cdr/cdr_mini_pg2.c");

    // Without PostgreSQL: its module and package are gone, and the summary says so first.
    let lighter = dir.join("lighter");
    let mut args = native_rpm_args(&tree, &lighter);
    args.extend(["--without-library", "postgres"]);
    let run = must(xtask(&args, &target, &[]));
    assert!(
        run.stderr.contains("libraries: without PGSQL (--without-library): leaves out cdr_mini_pgsql, and with them asterisk-postgresql"),
        "{}",
        run.stderr
    );
    let manifest = manifest_json(&read(&lighter.join("manifest.json")));
    assert!(
        !manifest["packages"]
            .to_string()
            .contains("asterisk-postgresql"),
        "{manifest}"
    );
    assert_eq!(
        manifest["options"]["libraries_without"],
        serde_json::json!(["PGSQL"])
    );
    assert!(read(&lighter.join("build/configure-args")).contains("--without-postgres\n"));
    assert!(!manifest["modules"].to_string().contains("cdr_mini_pgsql"));
}
