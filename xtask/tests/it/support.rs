//! What the end-to-end tests share: scratch directories outside any git repository (removed
//! when the test ends, passed or failed, unless `XTASK_KEEP_TEST_DIRS` is set), copies of the
//! sample tree, the real xtask binary, its manifest read as JSON, and the engine fixture.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/mini-asterisk")
}

/// A fresh directory under the system temp dir (outside this repository, so that git does not
/// see the test trees as part of it), removed when dropped: when the test ends, passed or
/// failed. `XTASK_KEEP_TEST_DIRS=1` keeps it, and says where.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("XTASK_KEEP_TEST_DIRS").is_some() {
            eprintln!("kept {}", self.0.display());
            return;
        }
        // Files a container wrote as root, or made read-only, go too.
        if self.0.exists() {
            let _ = Command::new("chmod")
                .arg("-R")
                .arg("u+rwX")
                .arg(&self.0)
                .stderr(std::process::Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("xtask-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

pub fn sh(dir: &Path, script: &str) -> String {
    let out = Command::new("sh")
        .arg("-ec")
        .arg(script)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{script}` failed in {}:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A plain copy of the sample tree (no .git), without its .version.
pub fn plain_tree(parent: &Path, keep_version: bool) -> PathBuf {
    let tree = parent.join("tree");
    std::fs::create_dir_all(parent).unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(fixture())
        .arg(&tree)
        .status()
        .unwrap();
    assert!(status.success());
    if !keep_version {
        std::fs::remove_file(tree.join(".version")).unwrap();
    }
    tree
}

/// The sample tree as a git repository: a first commit tagged 22.0.0, then one more commit.
pub fn git_tree(parent: &Path) -> PathBuf {
    let tree = plain_tree(parent, false);
    sh(
        &tree,
        "git init -q -b master .
         git config user.email test@example.org
         git config user.name Test
         git add -A
         GIT_COMMITTER_DATE='2026-08-01T10:00:00Z' git commit -q -m one --date '2026-08-01T10:00:00Z'
         git tag 22.0.0
         echo more >> README.md
         git add README.md
         GIT_COMMITTER_DATE='2026-08-06T15:45:49Z' git commit -q -m two --date '2026-08-06T15:45:49Z'",
    );
    tree
}

pub struct Run {
    /// The xtask's process id: its containers are labelled `<host>:<pid>`.
    pub pid: u32,
    pub ok: bool,
    /// The exit code (None when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The `error:` line(s) the xtask printed.
    pub fn error(&self) -> String {
        let start = self.stderr.find("error: ").unwrap_or_else(|| {
            panic!("no error printed:\n{}", self.stderr);
        });
        self.stderr[start..].to_string()
    }
}

/// `XDG_CACHE_HOME` for the tests: a download cache that holds the sample tree's pjproject and
/// libjwt tarballs (stand-ins, `tests/fixtures/downloads/`), so that builds bundle them with no
/// network. Made once per test process.
pub fn test_cache_home() -> &'static Path {
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let home = std::env::temp_dir().join(format!("xtask-test-cache-{}", std::process::id()));
        let downloads = home.join("asterisk-xtask/downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        seed_downloads(&downloads);
        home
    })
}

/// The stand-in tarballs the sample tree bundles (`tests/fixtures/downloads/`), copied into `dir`.
pub const BUNDLED_TARBALLS: [&str; 2] = ["pjproject-2.17.tar.bz2", "libjwt-1.15.3.tar.gz"];

pub fn seed_downloads(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for file in BUNDLED_TARBALLS {
        std::fs::copy(fixture().join("../downloads").join(file), dir.join(file)).unwrap();
    }
}

/// Runs the real xtask binary with its target directory in `target` (and the tests' download
/// cache, unless `env` names another).
pub fn xtask(args: &[&str], target: &Path, env: &[(&str, &str)]) -> Run {
    xtask_at(Path::new(env!("CARGO_BIN_EXE_xtask")), args, target, env)
}

/// As `xtask`, with the executable at `exe` (a copy of the xtask: another xtask).
pub fn xtask_at(exe: &Path, args: &[&str], target: &Path, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env("CARGO_TARGET_DIR", target)
        .env("XDG_CACHE_HOME", test_cache_home())
        .env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out: Output = child.wait_with_output().unwrap();
    Run {
        pid,
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn must(run: Run) -> Run {
    assert!(run.ok, "xtask failed:\n{}\n{}", run.stdout, run.stderr);
    run
}

/// The manifest's text as JSON.
pub fn manifest_json(manifest: &str) -> serde_json::Value {
    serde_json::from_str(manifest).unwrap_or_else(|e| panic!("not JSON ({e}): {manifest}"))
}

/// A top-level field of the manifest as text (a number as its digits).
pub fn manifest_field(manifest: &str, field: &str) -> String {
    match &manifest_json(manifest)[field] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => panic!("{field} is {other} in {manifest}"),
    }
}

/// `(path, kind, sha256)` of every artifact in the manifest.
pub fn manifest_artifacts(manifest: &str) -> Vec<(String, String, String)> {
    let json = manifest_json(manifest);
    let text = |a: &serde_json::Value, key: &str| a[key].as_str().unwrap().to_string();
    json["artifacts"]
        .as_array()
        .unwrap_or_else(|| panic!("no artifacts in {manifest}"))
        .iter()
        .map(|a| (text(a, "path"), text(a, "kind"), text(a, "sha256")))
        .collect()
}

/// sha256sum of every file under `dir` except `.git`, sorted: a picture of a tree's contents.
pub fn tree_checksums(dir: &Path) -> String {
    sh(
        dir,
        "find . -path ./.git -prune -o \\( -type f -o -type l \\) -print0 | LC_ALL=C sort -z | \
         xargs -0 -r sha256sum; find . -path ./.git -prune -o -type l -printf '%p -> %l\\n' | LC_ALL=C sort",
    )
}

/// The "version: A -> asterisk-V-R" line of a run.
pub fn version_line(run: &Run) -> (String, String) {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("version: "))
        .unwrap_or_else(|| panic!("no version line in:\n{}", run.stderr));
    let rest = &line["version: ".len()..];
    let (asterisk, nvr) = rest.split_once(" -> ").unwrap();
    let nvr = nvr
        .split(' ')
        .next()
        .unwrap()
        .trim_start_matches("asterisk-");
    (asterisk.to_string(), nvr.to_string())
}

/// rpm's own comparison of two `version-release` strings: -1, 0 or 1.
pub fn rpm_vercmp(a: &str, b: &str) -> i32 {
    let out = Command::new("rpm")
        .arg("--eval")
        .arg(format!("%{{lua: print(rpm.vercmp('{a}', '{b}'))}}"))
        .output()
        .expect("rpm is needed for the ordering tests");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// The container engine the tests drive: `$CONTAINER_ENGINE`, else Debian's /usr/bin/docker
/// (which has BuildKit), else `docker`. None, said loudly, when it does not answer; under CI
/// (`CI=true`) that is a failure instead.
pub fn engine_or_skip(test: &str) -> Option<String> {
    let engine = std::env::var("CONTAINER_ENGINE")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| {
            if Path::new("/usr/bin/docker").exists() {
                "/usr/bin/docker".into()
            } else {
                "docker".into()
            }
        });
    let answers = Command::new(&engine)
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if answers {
        return Some(engine);
    }
    cannot_run(&format!(
        "{test}: the container engine {engine} does not answer (start dockerd, or set CONTAINER_ENGINE)"
    ));
    None
}

/// A test (or a case) that cannot run here: under CI (`CI=true`, which `.ci/run` sets after
/// installing everything) that is a failure; elsewhere it is said loudly and skipped.
pub fn cannot_run(msg: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: every test must run)");
    }
    eprintln!("\n!!!!!!!! SKIPPED {msg} !!!!!!!!\n");
}

/// The engine tests' common start: an engine that answers (else the test is skipped, loudly;
/// under CI it fails) and the local base images made.
pub struct EngineFixture {
    pub engine: String,
}

impl EngineFixture {
    pub fn get(test: &str) -> Option<EngineFixture> {
        let engine = engine_or_skip(test)?;
        ensure_base_images(&engine);
        Some(EngineFixture { engine })
    }
}

/// Makes (once, under a lock shared by every test process) the local base images.
pub fn ensure_base_images(engine: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/make-base-image.sh");
    let work = std::env::temp_dir().join("xtask-test-base-images");
    let out = Command::new("flock")
        .arg(std::env::temp_dir().join("xtask-test-base-images.lock"))
        .arg("sh")
        .arg(&script)
        .arg(engine)
        .arg(&work)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "making the test base images failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Containers left by one xtask run.
pub fn containers_of(engine: &str, run: &Run) -> Vec<String> {
    build_containers(engine, Some(&format!("{}:{}", hostname(), run.pid)))
}

/// Containers carrying the xtask's build label, optionally only those of one owner.
pub fn build_containers(engine: &str, owner: Option<&str>) -> Vec<String> {
    let filter = match owner {
        Some(o) => format!("label=org.asterisk.xtask.build={o}"),
        None => "label=org.asterisk.xtask.build".into(),
    };
    let out = Command::new(engine)
        .args(["ps", "-aq", "--filter", &filter])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// The builder base the container tests build on (`make-base-image.sh`).
pub const BUILDER_BASE: &str = "xtask-test/builder:bookworm";

/// The processes `pid` started that still run (`/proc/<pid>/task/<pid>/children`).
pub fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Ctrl-C (SIGINT) to the running xtask `child` two seconds after its container of `owner`
/// started: it must end with 130, say it was interrupted, and leave no build container of
/// `owner`. Returns what it said.
pub fn interrupt_and_check(engine: &str, child: std::process::Child, owner: &str) -> String {
    std::thread::sleep(std::time::Duration::from_secs(2));
    // SAFETY: kill(2) of the test's own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let result = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr).to_string();
    assert_eq!(result.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        build_containers(engine, Some(owner)).is_empty(),
        "the build container survived: {stderr}"
    );
    stderr
}

/// Starts the xtask in the background (its stderr piped), for a test that interrupts it.
pub fn spawn_xtask(args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args)
        .env("XDG_CACHE_HOME", test_cache_home())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Waits until the running xtask `child` has started its container; returns the owner label.
pub fn wait_for_container(engine: &str, child: &mut std::process::Child, what: &str) -> String {
    let owner = format!("{}:{}", hostname(), child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while build_containers(engine, Some(&owner)).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the {what} container never started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the xtask ended before its {what} container started"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    owner
}

/// The main binary package's path in a manifest, by the xtask's own rule (`is_main`: the
/// package record of that name), which must be one of its rpm artifacts.
pub fn main_rpm(manifest: &str) -> String {
    let json = manifest_json(manifest);
    let path = json["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("no packages in {manifest}"))
        .iter()
        .find(|p| xtask::checked::is_main(p["name"].as_str().unwrap()))
        .expect("the manifest lists no main package")["path"]
        .as_str()
        .expect("the main package was not published")
        .to_string();
    assert!(
        manifest_artifacts(manifest)
            .iter()
            .any(|a| a.0 == path && a.1 == "rpm"),
        "{path} is not an rpm artifact of {manifest}"
    );
    path
}

/// An incremental build after one file changed: that file laid, configure reused.
pub fn assert_one_change_reused(run: &Run) {
    assert!(
        run.stderr.contains("1 file changed, 0 removed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("xtask: configure: reused"),
        "{}",
        run.stdout
    );
}

/// `rpm --native --dry-run --source TREE`: the version and plan of a tree, nothing built.
pub fn dry_run_args(tree: &Path) -> Vec<&str> {
    vec![
        "rpm",
        "--native",
        "--dry-run",
        "--source",
        tree.to_str().unwrap(),
    ]
}

/// `rpm --native -q --source TREE --out OUT`, the usual native build of a test.
pub fn native_rpm_args<'a>(tree: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "rpm",
        "--native",
        "-q",
        "--source",
        tree.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]
}

/// Volumes no container uses, but the ccache volumes the builds keep on purpose: what a removed
/// container would leave behind.
pub fn dangling_volumes(engine: &str) -> std::collections::BTreeSet<String> {
    let out = Command::new(engine)
        .args(["volume", "ls", "-q", "--filter", "dangling=true"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|v| !v.starts_with("asterisk-xtask-ccache-"))
        .map(str::to_string)
        .collect()
}

/// The dangling volumes that were not in `before` and are still there a moment later (another
/// test's container being removed leaves its volumes dangling for an instant).
pub fn volumes_left(engine: &str, before: &std::collections::BTreeSet<String>) -> Vec<String> {
    let new = |now: std::collections::BTreeSet<String>| -> Vec<String> {
        now.difference(before).cloned().collect()
    };
    if new(dangling_volumes(engine)).is_empty() {
        return Vec::new();
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    new(dangling_volumes(engine))
}

/// A tmpfs mounted at `dir` (root only: None, said, elsewhere), unmounted when dropped.
pub struct Mount(pub PathBuf);

impl Mount {
    pub fn tmpfs(dir: &Path, options: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return Some(Mount(dir.to_path_buf()));
        }
        cannot_run(&format!(
            "a case: cannot mount a tmpfs at {} (not root?)",
            dir.display()
        ));
        None
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// `pjproject-2.17.tar.bz2` with a `pjproject-2.17/` top directory, made in `dir`; returns its
/// bytes and md5.
pub fn pjproject_tarball(dir: &Path) -> (Vec<u8>, String) {
    let work = dir.join("pjproject-src");
    std::fs::create_dir_all(work.join("pjproject-2.17")).unwrap();
    std::fs::write(
        work.join("pjproject-2.17/README"),
        "a stand-in for pjproject\n",
    )
    .unwrap();
    sh(
        &work,
        "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - pjproject-2.17 | bzip2 -9 > pjproject-2.17.tar.bz2",
    );
    let bytes = std::fs::read(work.join("pjproject-2.17.tar.bz2")).unwrap();
    let md5 = sh(&work, "md5sum pjproject-2.17.tar.bz2 | cut -d' ' -f1");
    (bytes, md5.trim().to_string())
}

/// Points a tree's third-party/pjproject at `base_url` and gives it `md5` for the tarball. The
/// tree then bundles pjproject alone (third-party/libjwt removed, as trees before Asterisk 18
/// have none), so that the server is asked for one tarball.
pub fn point_pjproject_at(tree: &Path, base_url: &str, md5: &str) {
    let _ = std::fs::remove_dir_all(tree.join("third-party/libjwt"));
    let dir = tree.join("third-party/pjproject");
    std::fs::write(
        dir.join("Makefile.rules"),
        format!(
            "PACKAGE_URL ?= {base_url}/pjproject/$(PJPROJECT_VERSION)\nTARBALL_FILE = pjproject-$(PJPROJECT_VERSION).tar.bz2\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("pjproject-2.17.tar.bz2.md5"),
        format!("{md5}  pjproject-2.17.tar.bz2\n"),
    )
    .unwrap();
}

/// What the loopback server does for a path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with these bytes.
    Serve(Vec<u8>),
    /// 200 announcing these bytes, half sent, then nothing for a minute.
    Stall(Vec<u8>),
    /// 200 with these bytes, a few at a time with a pause between: slow, but never still.
    Slow(Vec<u8>),
    /// The request read, then no answer at all for a minute.
    Silent,
    /// 200 with no length, and bytes without end.
    Endless,
}

/// A real HTTP server on 127.0.0.1 for the tests, serving by the end of the request path (so
/// that it also answers as a proxy, which is asked for absolute addresses); 404 for the rest.
/// It counts requests and stops when dropped.
pub struct Server {
    pub port: u16,
    pub requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Server {
    pub fn start(routes: Vec<(String, Reply)>) -> Server {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (count, stopping) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                let routes = routes.clone();
                let count = count.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request = String::new();
                    if reader.read_line(&mut request).is_err() {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        match reader.read_line(&mut header) {
                            Ok(0) | Err(_) => break,
                            Ok(_) if header == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    let target = request.split_whitespace().nth(1).unwrap_or("");
                    let reply = routes
                        .iter()
                        .find(|(path, _)| target.ends_with(path.as_str()))
                        .map(|(_, r)| r.clone());
                    let head = |len: usize| {
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                        )
                    };
                    let _ = match reply {
                        Some(Reply::Serve(bytes)) => stream
                            .write_all(head(bytes.len()).as_bytes())
                            .and_then(|()| stream.write_all(&bytes)),
                        Some(Reply::Stall(bytes)) => {
                            let _ = stream.write_all(head(bytes.len()).as_bytes());
                            let _ = stream.write_all(&bytes[..bytes.len() / 2]);
                            let _ = stream.flush();
                            std::thread::sleep(std::time::Duration::from_secs(60));
                            Ok(())
                        }
                        Some(Reply::Slow(bytes)) => {
                            let _ = stream.write_all(head(bytes.len()).as_bytes());
                            for chunk in bytes.chunks(bytes.len().div_ceil(10).max(1)) {
                                let _ = stream.write_all(chunk);
                                let _ = stream.flush();
                                std::thread::sleep(std::time::Duration::from_millis(400));
                            }
                            Ok(())
                        }
                        Some(Reply::Silent) => {
                            std::thread::sleep(std::time::Duration::from_secs(60));
                            Ok(())
                        }
                        Some(Reply::Endless) => {
                            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                            let block = vec![0u8; 64 << 10];
                            while stream.write_all(&block).is_ok() {}
                            Ok(())
                        }
                        None => stream.write_all(
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        ),
                    };
                });
            }
        });
        Server {
            port,
            requests,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}
