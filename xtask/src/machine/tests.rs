use super::*;

const DEBIAN: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
const ALMA: &str = "NAME=\"AlmaLinux\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\n";
const UBUNTU: &str = "ID=ubuntu\nID_LIKE=debian\n";
const TRIXIE: &str = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nVERSION_ID=\"13\"\nID=debian\n";
const BOOKWORM: &str =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n";

#[test]
fn families_and_their_install_lines() {
    for (text, want) in [
        (DEBIAN, Family::Debian),
        (UBUNTU, Family::Debian),
        (TRIXIE, Family::Debian),
        (BOOKWORM, Family::Debian12),
        (ALMA, Family::Fedora),
        ("ID=fedora\n", Family::Fedora),
        (
            "ID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\n",
            Family::Suse,
        ),
        ("ID=arch\n", Family::Arch),
        ("ID=alpine\n", Family::Other),
        ("", Family::Other),
    ] {
        assert_eq!(family(text), want, "{text}");
    }
    assert_eq!(
        install(Family::Debian, Need::Rpmbuild),
        "apt-get install rpm"
    );
    assert_eq!(
        install(Family::Fedora, Need::Rpmbuild),
        "dnf install rpm-build"
    );
    assert_eq!(
        install(Family::Debian, Need::Buildx),
        "apt-get install docker-buildx"
    );
    // Debian 12 has no such package: its own docker.io has BuildKit.
    let fix = install(Family::Debian12, Need::Buildx);
    assert!(
        fix.contains("no docker-buildx package") && fix.contains("/usr/bin/docker"),
        "{fix}"
    );
    assert_eq!(
        install(Family::Debian12, Need::Gpg),
        "apt-get install gnupg"
    );
    assert_eq!(install(Family::Fedora, Need::Rpm2cpio), "dnf install rpm");
    assert_eq!(
        install(Family::Fedora, Need::Buildx),
        "dnf install docker-buildx-plugin"
    );
    assert_eq!(
        install(Family::Other, Need::Catatonit),
        "install catatonit with this system's package manager"
    );
}

fn everything() -> Facts {
    Facts {
        os_release: DEBIAN.into(),
        rpmbuild: Some("/usr/bin/rpmbuild".into()),
        rpm: Some("/usr/bin/rpm".into()),
        git: Some("/usr/bin/git".into()),
        curl: Some("/usr/bin/curl".into()),
        rpm2cpio: Some("/usr/bin/rpm2cpio".into()),
        cpio: Some("/usr/bin/cpio".into()),
        gpg: Some("/usr/bin/gpg".into()),
        sipp: Some("/usr/bin/sipp".into()),
        engine: Some(("/usr/bin/docker".into(), EngineKind::Docker)),
        engine_answers: Some(Ok(())),
        buildkit: Some(Ok(())),
        catatonit: None,
        rootless: Some(false),
        free: Some((10 << 30, "/t".into())),
        selinux_enforcing: false,
        network: Some(true),
    }
}

fn state<'a>(found: &'a [Finding], item: &str) -> Option<(State, &'a str)> {
    found
        .iter()
        .find(|f| f.item == item)
        .map(|f| (f.state, f.text.as_str()))
}

#[test]
fn a_machine_with_everything() {
    let found = findings(&everything());
    assert!(found.iter().all(|f| f.state == State::Ok), "{found:#?}");
}

#[test]
fn what_is_missing_says_how_to_fix_it() {
    let mut f = everything();
    f.rpmbuild = None;
    f.rpm2cpio = None;
    f.gpg = None;
    f.sipp = None;
    f.buildkit = Some(Err(Unusable("no buildx".into())));
    f.free = Some((100 << 20, "/t".into()));
    f.network = Some(false);
    f.selinux_enforcing = true;
    let found = findings(&f);
    assert_eq!(
        state(&found, "rpmbuild"),
        Some((
            State::Missing,
            "apt-get install rpm; needed by cargo xtask rpm --native"
        ))
    );
    let (s, text) = state(&found, "buildkit").unwrap();
    assert!(
        s == State::Missing && text.starts_with("apt-get install docker-buildx"),
        "{text}"
    );
    assert_eq!(
        state(&found, "rpm2cpio"),
        Some((
            State::Missing,
            "apt-get install rpm2cpio; needed by every build (the SBOM lists the packages' files)"
        ))
    );
    assert_eq!(
        state(&found, "gpg"),
        Some((State::Note, "apt-get install gnupg; needed by rpm --sign"))
    );
    assert_eq!(
        state(&found, "sipp"),
        Some((
            State::Note,
            "apt-get install sip-tester; needed by smoke's SIP call (skipped without it; --call makes that an error)"
        ))
    );
    let (s, text) = state(&found, "disk").unwrap();
    assert!(
        s == State::Missing && text.starts_with("100.0 MiB free in /t"),
        "{text}"
    );
    assert_eq!(state(&found, "network").unwrap().0, State::Note);
    assert_eq!(state(&found, "selinux").unwrap().0, State::Note);

    let mut f = everything();
    f.os_release = ALMA.into();
    f.engine = Some(("/usr/bin/podman".into(), EngineKind::Podman));
    f.buildkit = None;
    f.catatonit = Some(false);
    f.rootless = Some(true);
    let found = findings(&f);
    assert_eq!(
        state(&found, "catatonit"),
        Some((
            State::Missing,
            "dnf install catatonit; podman's --init (smoke) needs it"
        ))
    );
    assert_eq!(state(&found, "rootless").unwrap().0, State::Note);
    assert_eq!(state(&found, "buildkit"), None);

    let mut f = everything();
    f.engine = None;
    f.engine_answers = None;
    f.buildkit = None;
    let found = findings(&f);
    let (s, text) = state(&found, "engine").unwrap();
    assert!(
        s == State::Missing && text.starts_with("apt-get install docker.io docker-buildx"),
        "{text}"
    );
    f.engine = Some(("/usr/bin/docker".into(), EngineKind::Docker));
    f.engine_answers = Some(Err(Unusable("Cannot connect to the Docker daemon".into())));
    let found = findings(&f);
    let (s, text) = state(&found, "engine").unwrap();
    assert!(
        s == State::Missing && text.contains("does not answer: Cannot connect"),
        "{text}"
    );
}
