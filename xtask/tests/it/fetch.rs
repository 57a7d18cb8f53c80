//! `cargo xtask fetch` against a real HTTP server on 127.0.0.1 that the tests start: what the
//! tree asks for is fetched, verified before it gets its name, and nothing partial or wrong is
//! ever left under a final name.

use std::path::Path;
use std::sync::atomic::Ordering;

use crate::support::*;

const TARBALL: &str = "pjproject-2.17.tar.bz2";
const ROUTE: &str = "/pjproject/2.17/pjproject-2.17.tar.bz2";

fn fetch_args<'a>(tree: &'a Path, cache: &'a Path, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "fetch",
        "--source",
        tree.to_str().unwrap(),
        "--download-cache",
        cache.to_str().unwrap(),
    ];
    args.extend(more);
    args
}

/// Only the tarball, if anything: no `.part` file, nothing else.
fn cache_listing(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn fetch_downloads_verifies_and_reuses() {
    let dir = scratch("fetch");
    let tree = plain_tree(&dir, true);
    let (bytes, md5) = pjproject_tarball(&dir);
    let server = Server::start(vec![(ROUTE.into(), Reply::Serve(bytes.clone()))]);
    point_pjproject_at(&tree, &server.url(), &md5);
    let cache = dir.join("cache");
    let target = dir.join("target");

    // A dry run says what it would fetch, and fetches nothing.
    let dry = must(xtask(
        &fetch_args(&tree, &cache, &["--dry-run"]),
        &target,
        &[],
    ));
    assert!(
        dry.stderr
            .contains(&format!("would download {}{ROUTE}", server.url())),
        "{}",
        dry.stderr
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);
    assert!(!cache.exists());

    let run = must(xtask(&fetch_args(&tree, &cache, &[]), &target, &[]));
    assert!(run.stderr.contains("md5 ok"), "{}", run.stderr);
    assert_eq!(std::fs::read(cache.join(TARBALL)).unwrap(), bytes);
    assert_eq!(cache_listing(&cache), [TARBALL]);
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);

    // There already and verified: not fetched again; --offline is content with it.
    let again = must(xtask(&fetch_args(&tree, &cache, &[]), &target, &[]));
    assert!(again.stderr.contains("(md5 ok)"), "{}", again.stderr);
    must(xtask(
        &fetch_args(&tree, &cache, &["--offline"]),
        &target,
        &[],
    ));
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);

    // Two fetches at once into an empty cache: both end well, one whole file, no parts.
    std::fs::remove_file(cache.join(TARBALL)).unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            spawn_xtask(
                &fetch_args(&tree, &cache, &[]),
                &[("CARGO_TARGET_DIR", target.to_str().unwrap())],
            )
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(std::fs::read(cache.join(TARBALL)).unwrap(), bytes);
    assert_eq!(cache_listing(&cache), [TARBALL]);
}

#[test]
fn fetch_through_the_environments_proxy() {
    let dir = scratch("fetch-proxy");
    let tree = plain_tree(&dir, true);
    let (bytes, md5) = pjproject_tarball(&dir);
    let proxy = Server::start(vec![(ROUTE.into(), Reply::Serve(bytes.clone()))]);
    // A host nobody can resolve: only the proxy can answer for it.
    point_pjproject_at(&tree, "http://third-party.invalid", &md5);
    let cache = dir.join("cache");
    must(xtask(
        &fetch_args(&tree, &cache, &[]),
        &dir.join("target"),
        &[("http_proxy", &proxy.url())],
    ));
    assert_eq!(std::fs::read(cache.join(TARBALL)).unwrap(), bytes);
}

#[test]
fn fetch_refuses_what_it_cannot_trust_and_leaves_nothing() {
    let dir = scratch("fetch-bad");
    let tree = plain_tree(&dir, true);
    let (bytes, md5) = pjproject_tarball(&dir);
    let target = dir.join("target");
    let one_line = |run: &Run| {
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        let error = run.error();
        assert_eq!(error.lines().count(), 1, "{error}");
        error
    };

    // The wrong bytes: rejected, nothing cached.
    let wrong = Server::start(vec![(
        ROUTE.into(),
        Reply::Serve(b"not pjproject".to_vec()),
    )]);
    point_pjproject_at(&tree, &wrong.url(), &md5);
    let cache = dir.join("cache");
    let line = one_line(&xtask(&fetch_args(&tree, &cache, &[]), &target, &[]));
    assert!(
        line.contains("does not match the md5") && line.contains("nothing was cached"),
        "{line}"
    );
    assert!(
        cache_listing(&cache).is_empty(),
        "{:?}",
        cache_listing(&cache)
    );

    // 404: the address and what to do.
    let empty = Server::start(vec![]);
    point_pjproject_at(&tree, &empty.url(), &md5);
    let line = one_line(&xtask(&fetch_args(&tree, &cache, &[]), &target, &[]));
    assert!(
        line.contains(&format!("could not download {}{ROUTE}", empty.url()))
            && line.contains("404"),
        "{line}"
    );
    assert!(line.contains("download cache by hand"), "{line}");
    assert!(cache_listing(&cache).is_empty());

    // Nobody listening.
    let port = {
        let gone = Server::start(vec![]);
        gone.port
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    point_pjproject_at(&tree, &format!("http://127.0.0.1:{port}"), &md5);
    let line = one_line(&xtask(&fetch_args(&tree, &cache, &[]), &target, &[]));
    assert!(
        line.contains("could not download") && line.contains(&format!("127.0.0.1:{port}")),
        "{line}"
    );

    // --offline with an empty cache: each file, its address, and the fix.
    let line = one_line(&xtask(
        &fetch_args(&tree, &cache, &["--offline"]),
        &target,
        &[],
    ));
    assert!(
        line.contains(TARBALL) && line.contains(&format!("127.0.0.1:{port}")),
        "{line}"
    );
    assert!(line.contains("cargo xtask fetch"), "{line}");

    // A file already there that does not match: refused, and kept for the user to look at.
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join(TARBALL), "mine").unwrap();
    let line = one_line(&xtask(
        &fetch_args(&tree, &cache, &["--offline"]),
        &target,
        &[],
    ));
    assert!(
        line.contains("remove it, and the next fetch (or build with network) brings it again"),
        "{line}"
    );
    assert_eq!(std::fs::read(cache.join(TARBALL)).unwrap(), b"mine");
    drop(bytes);
}

/// A download that comes slowly goes on to the end; a server that accepts and says nothing is
/// left within moments (not half an hour); one that sends without end is stopped at a size no
/// tarball has. Nothing partial is cached.
#[test]
fn fetch_waits_for_slow_servers_and_leaves_silent_or_endless_ones() {
    let dir = scratch("fetch-pace");
    let tree = plain_tree(&dir, true);
    let (bytes, md5) = pjproject_tarball(&dir);
    let target = dir.join("target");
    let cache = dir.join("cache");
    // The runner's own stall watch would stop a silent program after 1 s: curl's is what counts.
    let env = [
        ("ASTERISK_XTASK_STALL_SECS", "1"),
        ("ASTERISK_XTASK_FETCH_STALL_SECS", "2"),
        ("ASTERISK_XTASK_FETCH_MAX_MIB", "1"),
    ];

    let slow = Server::start(vec![(ROUTE.into(), Reply::Slow(bytes.clone()))]);
    point_pjproject_at(&tree, &slow.url(), &md5);
    let started = std::time::Instant::now();
    let run = must(xtask(&fetch_args(&tree, &cache, &[]), &target, &env));
    assert!(
        started.elapsed() > std::time::Duration::from_secs(3),
        "not slow: {}",
        run.stderr
    );
    assert_eq!(std::fs::read(cache.join(TARBALL)).unwrap(), bytes);
    std::fs::remove_file(cache.join(TARBALL)).unwrap();

    let one_line = |run: &Run| {
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        let error = run.error();
        assert_eq!(error.lines().count(), 1, "{error}");
        error
    };
    let silent = Server::start(vec![(ROUTE.into(), Reply::Silent)]);
    point_pjproject_at(&tree, &silent.url(), &md5);
    let started = std::time::Instant::now();
    let line = one_line(&xtask(&fetch_args(&tree, &cache, &[]), &target, &env));
    assert!(
        line.contains("nothing came for 2s") && line.contains("nothing was cached"),
        "{line}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
    assert!(
        cache_listing(&cache).is_empty(),
        "{:?}",
        cache_listing(&cache)
    );

    let endless = Server::start(vec![(ROUTE.into(), Reply::Endless)]);
    point_pjproject_at(&tree, &endless.url(), &md5);
    let line = one_line(&xtask(&fetch_args(&tree, &cache, &[]), &target, &env));
    assert!(
        line.contains("larger than 1 MiB") && line.contains("ASTERISK_XTASK_FETCH_MAX_MIB"),
        "{line}"
    );
    assert!(
        cache_listing(&cache).is_empty(),
        "{:?}",
        cache_listing(&cache)
    );
}

#[test]
fn an_interrupted_fetch_leaves_no_partial_file() {
    let dir = scratch("fetch-interrupt");
    let tree = plain_tree(&dir, true);
    let (_, md5) = pjproject_tarball(&dir);
    let big = vec![7u8; 4 << 20];
    let server = Server::start(vec![(ROUTE.into(), Reply::Stall(big))]);
    point_pjproject_at(&tree, &server.url(), &md5);
    let cache = dir.join("cache");
    let mut child = spawn_xtask(
        &fetch_args(&tree, &cache, &[]),
        &[("CARGO_TARGET_DIR", dir.join("target").to_str().unwrap())],
    );
    // Wait until half the file is written, then Ctrl-C.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let part_size: u64 = std::fs::read_dir(&cache)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        if part_size >= 1 << 20 {
            break;
        }
        let ended = child.try_wait().unwrap();
        if ended.is_some() || std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the download never got going ({ended:?}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    sh(&dir, &format!("kill -INT {}", child.id()));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        cache_listing(&cache).is_empty(),
        "{:?}",
        cache_listing(&cache)
    );
}

/// A sound tarball (`name.tar.gz` with a `digits/` file and a top-level one) and its `.sha1`.
fn sound_tarball(dir: &Path, file: &str, ext: &str) -> (Vec<u8>, Vec<u8>) {
    let work = dir.join(format!("src-{file}"));
    std::fs::create_dir_all(work.join("digits")).unwrap();
    std::fs::write(work.join(format!("digits/1.{ext}")), "one").unwrap();
    std::fs::write(work.join(format!("hello-world.{ext}")), "hello").unwrap();
    sh(
        &work,
        &format!("tar --sort=name -czf ../{file} digits hello-world.{ext} && cd .. && sha1sum {file} > {file}.sha1"),
    );
    (
        std::fs::read(dir.join(file)).unwrap(),
        std::fs::read(dir.join(format!("{file}.sha1"))).unwrap(),
    )
}

#[test]
fn sounds_are_fetched_verified_and_packaged_a_subpackage_each() {
    let dir = scratch("sounds");
    let tree = git_tree(&dir);
    let core = "asterisk-core-sounds-en-gsm-1.6.1.tar.gz";
    let moh = "asterisk-moh-opsound-wav-2.03.tar.gz";
    let (core_bytes, core_sha1) = sound_tarball(&dir, core, "gsm");
    let (moh_bytes, moh_sha1) = sound_tarball(&dir, moh, "wav");
    let server = Server::start(vec![
        (format!("/{core}"), Reply::Serve(core_bytes)),
        (format!("/{core}.sha1"), Reply::Serve(core_sha1)),
        (format!("/{moh}"), Reply::Serve(moh_bytes)),
        (format!("/{moh}.sha1"), Reply::Serve(moh_sha1)),
    ]);
    sh(
        &tree,
        &format!(
            "sed -i 's|^SOUNDS_URL:=.*|SOUNDS_URL:={}|' sounds/Makefile && git commit -qam 'sounds here'",
            server.url()
        ),
    );
    let target = dir.join("target");
    let out = dir.join("out");
    let mut args = native_rpm_args(&tree, &out);
    args.extend(["--sounds", "CORE-SOUNDS-EN-GSM,MOH-OPSOUND-WAV"]);
    let run = must(xtask(&args, &target, &[]));
    assert!(
        run.stderr.contains(
            "sounds: CORE-SOUNDS-EN-GSM 1.6.1 (asterisk-core-sounds-en-gsm), MOH-OPSOUND-WAV 2.03"
        ),
        "{}",
        run.stderr
    );
    // A subpackage each, with the set's files and the marker; the main package has none of them.
    let list = |glob: &str| {
        sh(
            &out,
            &format!("rpm -qpl --nosignature $(ls RPMS/x86_64/{glob})"),
        )
    };
    let core_files = list("asterisk-core-sounds-en-gsm-[0-9]*.rpm");
    for f in [
        "/var/lib/asterisk/sounds/en/digits/1.gsm",
        "/var/lib/asterisk/sounds/en/hello-world.gsm",
        "/var/lib/asterisk/sounds/en/.asterisk-core-sounds-en-gsm-1.6.1",
    ] {
        assert!(
            core_files.lines().any(|l| l == f),
            "{f} not in:\n{core_files}"
        );
    }
    let moh_files = list("asterisk-moh-opsound-wav-[0-9]*.rpm");
    assert!(
        moh_files.contains("/var/lib/asterisk/moh/hello-world.wav"),
        "{moh_files}"
    );
    let main = list("asterisk-[0-9]*.rpm");
    assert!(
        !main.contains(".gsm") && !main.contains("/moh/hello"),
        "{main}"
    );
    // The SRPM carries them, with their checksums; the manifest says what was packaged.
    let srpm = sh(&out, "rpm -qpl --nosignature SRPMS/*.src.rpm");
    for f in [core, &format!("{core}.sha1"), moh, &format!("{moh}.sha1")] {
        assert!(srpm.lines().any(|l| l == f), "{f} not in the SRPM:\n{srpm}");
    }
    let manifest = manifest_json(&std::fs::read_to_string(out.join("manifest.json")).unwrap());
    assert_eq!(manifest["sounds"][1]["package"], "asterisk-moh-opsound-wav");

    // Without --sounds: none, and said.
    let plain = dir.join("plain");
    let run = must(xtask(&native_rpm_args(&tree, &plain), &target, &[]));
    assert!(run.stderr.contains("sounds: none"), "{}", run.stderr);

    // A name the tree does not know, and a tarball that does not match its .sha1.
    let mut args = native_rpm_args(&tree, &plain);
    args.extend(["--sounds", "CORE-SOUNDS-XX-GSM"]);
    let run = xtask(&args, &target, &[]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.error()
            .contains("--sounds CORE-SOUNDS-XX-GSM is not a sound set of this tree"),
        "{}",
        run.error()
    );
    let bad = Server::start(vec![
        (format!("/{moh}"), Reply::Serve(b"not sounds".to_vec())),
        (
            format!("/{moh}.sha1"),
            Reply::Serve(sound_tarball(&dir.join("b"), moh, "wav").1),
        ),
    ]);
    sh(
        &tree,
        &format!(
            "sed -i 's|^SOUNDS_URL:=.*|SOUNDS_URL:={}|' sounds/Makefile",
            bad.url()
        ),
    );
    let cache = dir.join("bad-cache");
    seed_downloads(&cache);
    let run = xtask(
        &[
            "fetch",
            "--source",
            tree.to_str().unwrap(),
            "--download-cache",
            cache.to_str().unwrap(),
            "--sounds",
            "MOH-OPSOUND-WAV",
        ],
        &target,
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.error().contains("does not match the sha1"),
        "{}",
        run.error()
    );
    assert!(!cache.join(moh).exists());
}

/// libjwt, which the tree bundles like pjproject (STIR/SHAKEN's JSON Web Tokens): its address
/// and checksum come from third-party/libjwt, and it is fetched and verified the same way.
#[test]
fn libjwt_is_fetched_from_the_trees_own_metadata_and_verified() {
    let dir = scratch("fetch-libjwt");
    let tree = plain_tree(&dir, true);
    let (pj_bytes, pj_md5) = pjproject_tarball(&dir);
    // A libjwt-1.15.3.tar.gz with its top directory, and its md5.
    let work = dir.join("jwt-src");
    std::fs::create_dir_all(work.join("libjwt-1.15.3")).unwrap();
    std::fs::write(work.join("libjwt-1.15.3/README"), "a stand-in for libjwt\n").unwrap();
    sh(
        &work,
        "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - libjwt-1.15.3 | gzip -9n > libjwt-1.15.3.tar.gz",
    );
    let jwt_bytes = std::fs::read(work.join("libjwt-1.15.3.tar.gz")).unwrap();
    let jwt_md5 = sh(&work, "md5sum libjwt-1.15.3.tar.gz | cut -d' ' -f1")
        .trim()
        .to_string();
    let jwt_route = "/libjwt/1.15.3/libjwt-1.15.3.tar.gz";
    let server = Server::start(vec![
        (ROUTE.into(), Reply::Serve(pj_bytes)),
        (jwt_route.into(), Reply::Serve(jwt_bytes.clone())),
    ]);
    point_pjproject_at(&tree, &server.url(), &pj_md5);
    // point_pjproject_at leaves pjproject alone in the tree: libjwt's metadata comes back.
    let jwt = tree.join("third-party/libjwt");
    std::fs::create_dir_all(&jwt).unwrap();
    std::fs::write(
        jwt.join("Makefile.rules"),
        format!(
            "PACKAGE_URL ?= {}/libjwt/$(LIBJWT_VERSION)\nTARBALL_FILE = libjwt-$(LIBJWT_VERSION).tar.gz\n",
            server.url()
        ),
    )
    .unwrap();
    std::fs::write(
        jwt.join("libjwt-1.15.3.tar.gz.md5"),
        format!("{jwt_md5}  libjwt-1.15.3.tar.gz\n"),
    )
    .unwrap();
    let cache = dir.join("cache");
    let target = dir.join("target");
    let run = must(xtask(&fetch_args(&tree, &cache, &[]), &target, &[]));
    assert!(
        run.stderr.contains(&format!(
            "fetch: libjwt 1.15.3 from {}{jwt_route}",
            server.url()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(cache.join("libjwt-1.15.3.tar.gz")).unwrap(),
        jwt_bytes
    );
    assert_eq!(cache_listing(&cache), ["libjwt-1.15.3.tar.gz", TARBALL]);

    // A tarball that does not match the tree's md5 is refused, and nothing is left.
    std::fs::write(
        jwt.join("libjwt-1.15.3.tar.gz.md5"),
        format!("{}  libjwt-1.15.3.tar.gz\n", "0".repeat(32)),
    )
    .unwrap();
    let other = dir.join("other-cache");
    let run = xtask(&fetch_args(&tree, &other, &[]), &target, &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.error().contains("libjwt-1.15.3.tar.gz"),
        "{}",
        run.error()
    );
    assert!(!other.join("libjwt-1.15.3.tar.gz").exists());
}
