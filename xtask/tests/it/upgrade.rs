//! Upgrades that lose nothing, with the real rpm and dnf on a runtime container (the tests'
//! Debian stand-in for an EL base): build N and N+1 of a later edit, install N (the main package
//! and two subpackages), use it as a PBX would (a changed configuration file, the astdb, a
//! voicemail in the spool), upgrade, downgrade, erase, and look at what is left each time.

use std::path::Path;
use std::process::Command;

use crate::support::*;

const RUNTIME: &str = "xtask-test/runtime:bookworm";

/// Runs `script` in the container as root; its output, or the failure with the output.
fn run(engine: &str, container: &str, script: &str) -> Result<String, String> {
    let out = Command::new(engine)
        .args(["exec", container, "sh", "-c", script])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.success() {
        true => Ok(text),
        false => Err(text),
    }
}

fn must_run(engine: &str, container: &str, script: &str) -> String {
    run(engine, container, script).unwrap_or_else(|e| panic!("`{script}` failed:\n{e}"))
}

/// The package files of a build, by package name (`asterisk`, `asterisk-pjsip`, ...), as the
/// container sees them under `mount`.
fn files(out: &Path, mount: &str, names: &[&str]) -> String {
    let manifest = manifest_json(&std::fs::read_to_string(out.join("manifest.json")).unwrap());
    names
        .iter()
        .map(|name| {
            let record = manifest["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == *name)
                .unwrap_or_else(|| panic!("no package {name} in {manifest}"));
            format!("{mount}/{}", record["path"].as_str().unwrap())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every path on the container's file system (`f /etc/x`, `d /etc`) but the package manager's
/// own, the kernel's, and the account database's backups (useradd's `/etc/shadow-`: the asterisk
/// user stays after an erase, as distributions keep users): what an install or an erase may
/// change.
const SNAPSHOT: &str = "find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /tmp \
    -o -path /var/lib/rpm -o -path /var/lib/dnf -o -path /var/cache -o -path '/var/log/dnf*' \
    -o -path /var/log/hawkey.log -o -path /run -o -path /rpms -o -path /etc/ld.so.cache -o -path '/etc/*-' \\) -prune \
    -o -printf '%y %p\\n' | sort";

/// Runs the sample Asterisk as the asterisk user, asks it `command`, and stops it.
fn ask_asterisk(engine: &str, container: &str, command: &str) -> String {
    must_run(
        engine,
        container,
        &format!(
            "install -d -o asterisk -g asterisk /run/asterisk
             su -s /bin/sh asterisk -c '/usr/sbin/asterisk -C /etc/asterisk/asterisk.conf'
             for i in $(seq 50); do [ -S /run/asterisk/asterisk.ctl ] && break; sleep 0.1; done
             # (The socket may be there a moment before it answers, or be the last run's.)
             for i in $(seq 50); do out=$(/usr/sbin/asterisk -rx '{command}' 2>/dev/null) && [ -n \"$out\" ] && break; sleep 0.1; done
             /usr/sbin/asterisk -rx 'core stop now' >/dev/null
             for i in $(seq 50); do [ -S /run/asterisk/asterisk.ctl ] || break; sleep 0.1; done
             echo \"$out\""
        ),
    )
}

#[test]
fn upgrades_keep_what_a_pbx_holds_and_erasing_keeps_only_its_data() {
    let Some(EngineFixture { engine }) =
        EngineFixture::get("upgrades_keep_what_a_pbx_holds_and_erasing_keeps_only_its_data")
    else {
        return;
    };
    let dir = scratch("upgrade");
    let tree = git_tree(&dir);
    let target = dir.join("target");
    let (n, n1) = (dir.join("n"), dir.join("n1"));
    must(xtask(&native_rpm_args(&tree, &n), &target, &[]));
    // N+1: a later edit, which changes a configuration file the package ships too.
    sh(
        &tree,
        "sed -i 's/^rtpend = 20000/rtpend = 20100/' configs/samples/rtp.conf.sample
         echo '/* a later edit */' >> main/asterisk.c
         git commit -qam 'a later edit'",
    );
    must(xtask(&native_rpm_args(&tree, &n1), &target, &[]));
    let version = |out: &Path| {
        let m = manifest_json(&std::fs::read_to_string(out.join("manifest.json")).unwrap());
        format!(
            "{}-{}",
            m["version"].as_str().unwrap(),
            m["release"].as_str().unwrap()
        )
    };
    let (vn, vn1) = (version(&n), version(&n1));
    assert_eq!(rpm_vercmp(&vn1, &vn), 1, "{vn1} is not above {vn}");

    // The main package requires no optional library; the subpackages do, and the main one.
    let requires = |out: &Path, name: &str| {
        sh(
            &dir,
            &format!(
                "rpm -qpR --nosignature {}",
                files(out, &out.to_string_lossy(), &[name])
            ),
        )
    };
    let main = requires(&n, "asterisk");
    assert!(
        !main.contains("libz") && !main.contains("liblzma"),
        "{main}"
    );
    let pg = requires(&n, "asterisk-postgresql");
    assert!(pg.contains("libz.so.1()(64bit)"), "{pg}");
    assert!(pg.contains(&format!("asterisk(x86-64) = {vn}")), "{pg}");

    let container = format!("xtask-upgrade-{}", std::process::id());
    let started = Command::new(&engine)
        .args([
            "run",
            "-d",
            "--name",
            &container,
            "--label",
            "org.asterisk.xtask.test=1",
        ])
        .args(["-v", &format!("{}:/rpms/n:ro", n.display())])
        .args(["-v", &format!("{}:/rpms/n1:ro", n1.display())])
        .args(["--entrypoint", "sleep", RUNTIME, "600"])
        .output()
        .unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    struct Remove<'a>(&'a str, &'a str);
    impl Drop for Remove<'_> {
        fn drop(&mut self) {
            let _ = Command::new(self.0).args(["rm", "-f", self.1]).output();
        }
    }
    let _remove = Remove(&engine, &container);
    let three = ["asterisk", "asterisk-pjsip", "asterisk-postgresql"];
    let before = must_run(&engine, &container, SNAPSHOT);

    // Install N: nothing to verify against afterwards. (ldconfig as the runtime Dockerfile
    // runs it: EL's glibc has a file trigger for that, Debian's stand-in none.)
    must_run(
        &engine,
        &container,
        &format!(
            "dnf -q -y install {} && ldconfig",
            files(&n, "/rpms/n", &three)
        ),
    );
    assert_eq!(
        must_run(&engine, &container, "rpm -Va"),
        "",
        "rpm -Va on a fresh install"
    );
    let uid = must_run(&engine, &container, "id -u asterisk");
    // Asterisk can write its own configuration: the directory and files are its.
    assert_eq!(
        must_run(
            &engine,
            &container,
            "stat -c '%U:%G %a' /etc/asterisk /etc/asterisk/rtp.conf"
        ),
        "asterisk:asterisk 750\nasterisk:asterisk 640\n"
    );
    must_run(
        &engine,
        &container,
        "su -s /bin/sh asterisk -c 'echo \"; the admin was here\" >> /etc/asterisk/rtp.conf'",
    );
    assert!(
        ask_asterisk(&engine, &container, "database put pbx owner alice")
            .contains("Updated database successfully")
    );
    must_run(
        &engine,
        &container,
        "su -s /bin/sh asterisk -c 'mkdir -p /var/spool/asterisk/voicemail/default/1234/INBOX &&
             echo a message > /var/spool/asterisk/voicemail/default/1234/INBOX/msg0000.txt'",
    );

    // The main package alone cannot go up: its subpackages need the same version.
    let alone = run(
        &engine,
        &container,
        &format!("rpm -U {}", files(&n1, "/rpms/n1", &["asterisk"])),
    )
    .expect_err("upgrading the main package alone worked");
    assert!(alone.contains("is needed by"), "{alone}");
    assert!(alone.contains("asterisk-pjsip"), "{alone}");

    // N+1 over N: the changed file is kept, the new one is beside it; the data is intact.
    must_run(
        &engine,
        &container,
        &format!(
            "dnf -q -y upgrade {} && ldconfig",
            files(&n1, "/rpms/n1", &three)
        ),
    );
    assert_eq!(
        must_run(
            &engine,
            &container,
            "rpm -q asterisk asterisk-pjsip asterisk-postgresql"
        ),
        three
            .iter()
            .map(|p| format!("{p}-{vn1}.x86_64\n"))
            .collect::<String>()
    );
    let conf = must_run(&engine, &container, "cat /etc/asterisk/rtp.conf");
    assert!(
        conf.contains("; the admin was here") && conf.contains("rtpend = 20000"),
        "{conf}"
    );
    let new = must_run(&engine, &container, "cat /etc/asterisk/rtp.conf.rpmnew");
    assert!(
        new.contains("rtpend = 20100") && !new.contains("admin"),
        "{new}"
    );
    assert!(ask_asterisk(&engine, &container, "database get pbx owner").contains("Value: alice"));
    assert_eq!(
        must_run(
            &engine,
            &container,
            "cat /var/spool/asterisk/voicemail/default/1234/INBOX/msg0000.txt"
        ),
        "a message\n"
    );
    assert_eq!(must_run(&engine, &container, "id -u asterisk"), uid);

    // An older build over a newer one only when asked for.
    let older = run(
        &engine,
        &container,
        &format!("rpm -U {}", files(&n, "/rpms/n", &three)),
    )
    .expect_err("installing N over N+1 worked without --oldpackage");
    assert!(
        older.contains("newer") || older.contains("already installed"),
        "{older}"
    );
    must_run(
        &engine,
        &container,
        &format!(
            "rpm -U --test --oldpackage {}",
            files(&n, "/rpms/n", &three)
        ),
    );

    // Erasing keeps the changed configuration as .rpmsave, and no other file of the packages:
    // what is left is the data (and the .rpmnew the admin did not merge), and directories (those
    // holding it, and parents rpm made that no package owns here: an EL base's own packages
    // own them there).
    must_run(
        &engine,
        &container,
        "rpm -e asterisk-postgresql asterisk-pjsip asterisk",
    );
    let after = must_run(&engine, &container, SNAPSHOT);
    let before: std::collections::BTreeSet<&str> = before.lines().collect();
    let left: Vec<&str> = after.lines().filter(|l| !before.contains(l)).collect();
    let data = [
        "/etc/asterisk/rtp.conf.rpmnew",
        "/etc/asterisk/rtp.conf.rpmsave",
        "/var/lib/asterisk/astdb.txt",
        "/var/spool/asterisk/voicemail/default/1234/INBOX/msg0000.txt",
    ];
    let files_left: Vec<&str> = left
        .iter()
        .filter(|l| !l.starts_with("d "))
        .map(|l| &l[2..])
        .collect();
    let unexpected: Vec<&&str> = files_left
        .iter()
        .filter(|f| !data.contains(f) && !f.starts_with("/var/log/asterisk/"))
        .collect();
    assert!(unexpected.is_empty(), "left behind: {unexpected:?}");
    for want in data {
        assert!(files_left.contains(&want), "{want} is gone: {left:?}");
    }
    let saved = must_run(&engine, &container, "cat /etc/asterisk/rtp.conf.rpmsave");
    assert!(saved.contains("; the admin was here"), "{saved}");
}
