use super::*;
use crate::rpmbuild::moduleinfo::OptionalLibrary;

fn module(name: &str, depends: &[&str]) -> Module {
    Module {
        name: name.into(),
        category: format!(
            "MENUSELECT_{}",
            match name.split('_').next().unwrap_or("") {
                "app" => "APPS",
                "cdr" => "CDR",
                "chan" => "CHANNELS",
                "test" => "TESTS",
                _ => "RES",
            }
        ),
        depends: depends.iter().map(|d| d.to_string()).collect(),
        groups: depends.iter().map(|d| vec![d.to_string()]).collect(),
        default_on: true,
        support_level: "core".into(),
        variant_of: None,
    }
}

fn off(m: Module) -> Module {
    Module {
        default_on: false,
        ..m
    }
}

fn variant(m: Module, of: &str) -> Module {
    Module {
        variant_of: Some(of.into()),
        ..m
    }
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const OPTIONAL: [&str; 12] = [
    "CRYPTO",
    "CURL",
    "PJPROJECT",
    "PGSQL",
    "UNIXODBC",
    "SRTP",
    "NEON",
    "ICAL",
    "IMAP_TK",
    "UNBOUND",
    "COROSYNC",
    "LIBJWT",
];

/// A tree shaped like Asterisk master's, in small.
fn info() -> TreeInfo {
    TreeInfo {
        modules: vec![
            module("res_pjsip", &["pjproject"]),
            module("res_pjsip_session", &["pjproject", "res_pjsip"]),
            module("chan_pjsip", &["res_pjsip", "res_pjsip_session"]),
            module(
                "res_pjsip_stir_shaken",
                &["pjproject", "res_pjsip", "res_stir_shaken"],
            ),
            module("res_curl", &["curl"]),
            module("res_stir_shaken", &["curl", "res_curl", "libjwt"]),
            module("cdr_pgsql", &["pgsql"]),
            module("res_odbc", &["generic_odbc"]),
            module("func_odbc", &["res_odbc"]),
            module("res_crypto", &["crypto"]),
            module("res_srtp", &["srtp"]),
            module("res_calendar", &[]),
            module("res_calendar_caldav", &["res_calendar", "neon", "ical"]),
            module("res_resolver_unbound", &["unbound"]),
            module("app_voicemail", &[]),
            off(variant(
                module("app_voicemail_odbc", &["generic_odbc"]),
                "app_voicemail",
            )),
            off(variant(
                module("app_voicemail_imap", &["imap_tk"]),
                "app_voicemail",
            )),
            off(module("test_x", &["TEST_FRAMEWORK"])),
            module("app_dial", &[]),
            off(module("res_corosync", &["corosync"])),
            // Needs the bundled libjwt alone: linked in, no package of its own.
            module("res_jwt_only", &["libjwt"]),
        ],
        // configure.ac's; menuselect-deps adds GENERIC_ODBC.
        optional: OPTIONAL
            .iter()
            .map(|v| OptionalLibrary {
                var: v.to_string(),
                option: v.to_lowercase(),
            })
            .collect(),
        known: OPTIONAL
            .iter()
            .chain(&["GENERIC_ODBC"])
            .map(|s| s.to_string())
            .collect(),
        core: names(&["CRYPTO"]),
    }
}

fn options(left_out: &[&str]) -> Options {
    Options {
        left_out: left_out
            .iter()
            .map(|v| OptionalLibrary {
                var: v.to_string(),
                option: v.to_lowercase(),
            })
            .collect(),
        distribution: vec!["app_voicemail_odbc".into(), "app_voicemail_imap".into()],
        ..Options::default()
    }
}

#[test]
fn modules_go_where_their_libraries_are() {
    let split = split(&info(), &options(&["IMAP_TK", "COROSYNC"]), &[]).unwrap();
    let at = |m: &str| split.placed.get(m).map(String::as_str);
    let cases = [
        ("res_pjsip", Some("asterisk-pjsip")),
        ("res_pjsip_session", Some("asterisk-pjsip")),
        // Through the modules it needs.
        ("chan_pjsip", Some("asterisk-pjsip")),
        ("res_pjsip_stir_shaken", Some("asterisk-pjsip")),
        ("res_stir_shaken", Some("asterisk-curl")),
        ("cdr_pgsql", Some("asterisk-postgresql")),
        // menuselect-deps' name, in ODBC's family.
        ("res_odbc", Some("asterisk-odbc")),
        ("func_odbc", Some("asterisk-odbc")),
        // A library the core links: the main package.
        ("res_crypto", None),
        ("res_srtp", Some("asterisk-srtp")),
        // A module it needs stays in the main package: its own libraries decide.
        ("res_calendar_caldav", Some("asterisk-calendar")),
        ("res_calendar", None),
        // No family has it: a package named after the library.
        ("res_resolver_unbound", Some("asterisk-unbound")),
        // The variants, whatever their libraries.
        ("app_voicemail", Some("asterisk-voicemail-plain")),
        ("app_voicemail_odbc", Some("asterisk-voicemail-odbc")),
        ("app_voicemail_imap", Some("asterisk-voicemail-imap")),
        // An option is no library.
        ("test_x", None),
        ("app_dial", None),
        ("res_jwt_only", None),
    ];
    for (m, want) in cases {
        assert_eq!(at(m), want, "{m}");
    }
    let declared = split.names();
    // The packages of modules that are not built (imap_tk and corosync left out) are not
    // declared; the rest are.
    assert_eq!(
        declared,
        [
            "asterisk-calendar",
            "asterisk-curl",
            "asterisk-odbc",
            "asterisk-pjsip",
            "asterisk-postgresql",
            "asterisk-srtp",
            "asterisk-unbound",
            "asterisk-voicemail-odbc",
            "asterisk-voicemail-plain",
        ]
    );
    let get = |n: &str| split.packages.iter().find(|p| p.name == n).unwrap();
    // libjwt is linked into res_stir_shaken (asterisk-curl) and res_jwt_only (the main
    // package): each of the two provides it, and no other.
    assert_eq!(get("asterisk-curl").bundles, ["libjwt"]);
    assert_eq!(split.main_bundles, ["libjwt"]);
    for p in split.packages.iter().filter(|p| p.name != "asterisk-curl") {
        assert!(p.bundles.is_empty(), "{}: {:?}", p.name, p.bundles);
    }
    let (sections, _) = split.spec_sections();
    let curl = sections
        .split("%package -n ")
        .find(|s| s.starts_with("asterisk-curl\n"))
        .unwrap();
    assert!(
        curl.contains("%if %{defined asterisk_libjwt_version}\nProvides:       bundled(libjwt) = %{asterisk_libjwt_version}\n%endif\n"),
        "{curl}"
    );
    assert_eq!(sections.matches("bundled(libjwt)").count(), 1, "{sections}");
    assert!(get("asterisk-unbound").unfamiliar);
    assert!(!get("asterisk-odbc").unfamiliar);
    assert_eq!(
        get("asterisk-voicemail-plain").conflicts,
        ["asterisk-voicemail-odbc"]
    );
    assert_eq!(
        get("asterisk-voicemail-odbc").conflicts,
        ["asterisk-voicemail-plain"]
    );
    assert_eq!(
        get("asterisk-voicemail-plain").summary,
        "Asterisk's voicemail (plain storage)"
    );
    // What a package's modules need of another's.
    assert_eq!(get("asterisk-pjsip").requires, ["asterisk-curl"]);
    assert_eq!(get("asterisk-voicemail-odbc").requires, ["asterisk-odbc"]);
    assert!(get("asterisk-postgresql").requires.is_empty());
    assert_eq!(
        get("asterisk-postgresql").summary,
        "Asterisk modules that need pgsql"
    );
    assert_eq!(get("asterisk-calendar").libraries, ["NEON"]);
    let map = split.map_file();
    for line in [
        "module cdr_pgsql asterisk-postgresql\n",
        "module app_voicemail_imap asterisk-voicemail-imap\n",
        "config cdr_pgsql.conf asterisk-postgresql\n",
        "config pjsip.conf asterisk-pjsip\n",
        "config stir_shaken.conf asterisk-curl\n",
    ] {
        assert!(map.contains(line), "{line}: {map}");
    }
    // voicemail.conf is every variant's; calendar.conf the main package's res_calendar's
    // (claimed by one package only, but not the main one's: the main package keeps it).
    assert!(!map.contains("voicemail.conf"), "{map}");
    assert!(!map.contains("config calendar.conf"), "{map}");
}

#[test]
fn what_may_be_built_follows_the_choices_and_the_libraries() {
    let info = info();
    let o = |f: &dyn Fn(&mut Options)| {
        let mut o = options(&["IMAP_TK"]);
        f(&mut o);
        o
    };
    let without = |var: &str| {
        let var = var.to_string();
        move |o: &mut Options| {
            o.left_out.push(OptionalLibrary {
                option: var.to_lowercase(),
                var: var.clone(),
            })
        }
    };
    let cases: [(Options, &[&str], &[&str]); 6] = [
        // Defaults, the spec's voicemail variants; what needs a left-out library is not built.
        (
            o(&|_| {}),
            &["app_voicemail_odbc", "res_pjsip"],
            &["app_voicemail_imap", "res_corosync", "test_x"],
        ),
        // Going without a library: its modules, and the modules that need those.
        (
            o(&without("PJPROJECT")),
            &["res_curl"],
            &["res_pjsip", "chan_pjsip", "res_pjsip_stir_shaken"],
        ),
        (
            o(&without("CURL")),
            &["res_pjsip"],
            &["res_curl", "res_stir_shaken", "res_pjsip_stir_shaken"],
        ),
        // Choices, in order.
        (
            o(&|o| {
                o.choices = vec![
                    Choice::Enable("res_corosync".into()),
                    Choice::Disable("chan_pjsip".into()),
                ]
            }),
            &["res_corosync"],
            &["chan_pjsip"],
        ),
        (
            o(&|o| o.choices = vec![Choice::DisableCategory("MENUSELECT_RES".into())]),
            &["chan_pjsip", "app_dial"],
            &["res_pjsip", "res_odbc"],
        ),
        // A menuselect file: what it leaves on in the categories it names.
        (
            o(&|o| o.menuselect_text = Some("MENUSELECT_APPS=app_voicemail\n".into())),
            &["app_dial", "res_pjsip"],
            &["app_voicemail"],
        ),
    ];
    for (options, built, not) in cases {
        let left_out: BTreeSet<String> = options.left_out.iter().map(|l| l.var.clone()).collect();
        let got = buildable(&info, &selected(&info, &options), &left_out);
        for m in built {
            assert!(got.contains(*m), "{m} should be built: {options:?}");
        }
        for m in not {
            assert!(!got.contains(*m), "{m} should not be built: {options:?}");
        }
    }
    // `<depend>a,b</depend>`: one of them is enough.
    let mut either = info.clone();
    either.modules.push(Module {
        groups: vec![vec!["pgsql".into(), "generic_odbc".into()]],
        depends: vec!["pgsql".into(), "generic_odbc".into()],
        ..module("res_config_either", &[])
    });
    let o = options(&["PGSQL"]);
    let left_out: BTreeSet<String> = ["PGSQL".to_string()].into();
    assert!(buildable(&either, &selected(&either, &o), &left_out).contains("res_config_either"));
}

#[test]
fn what_going_without_a_library_costs() {
    let info = info();
    let mut o = options(&["IMAP_TK", "PGSQL"]);
    o.without_libraries = vec!["PGSQL".into()];
    let split = split(&info, &o, &[]).unwrap();
    assert!(!split.names().contains(&"asterisk-postgresql".to_string()));
    assert_eq!(
        cost(&info, &o, &split),
        (
            vec!["cdr_pgsql".to_string()],
            vec!["asterisk-postgresql".to_string()]
        )
    );
    assert_eq!(cost(&info, &options(&[]), &split), (vec![], vec![]));
}

#[test]
fn a_name_the_tree_would_give_twice_is_refused() {
    let mut reserved = info();
    reserved.known.insert("DEVEL".into());
    reserved.modules.push(module("res_x", &["devel"]));
    let err = split(&reserved, &options(&[]), &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "the tree's metadata names a subpackage asterisk-devel, a name the build already has, \
         for the library DEVEL (res_x); rename the library in configure.ac or the module"
    );
    let sounds = split(&info(), &options(&[]), &["asterisk-srtp".into()]).unwrap_err();
    assert!(sounds
        .to_string()
        .contains("a subpackage asterisk-srtp, a name the build already has"));
    // A library named as a family's package: two reasons for one name.
    let mut twice = info();
    twice.known.insert("PJSIP".into());
    twice.modules.push(module("res_y", &["pjsip"]));
    let err = split(&twice, &options(&[]), &[]).unwrap_err().to_string();
    assert_eq!(
        err,
        "the tree's metadata names the subpackage asterisk-pjsip twice: for the pjsip family of \
         libraries (chan_pjsip, res_pjsip, res_pjsip_session, res_pjsip_stir_shaken) and for the \
         library PJSIP (res_y); rename the library in configure.ac or a module"
    );
}

#[test]
fn variant_packages_are_named_after_their_storage() {
    let cases = [
        ("app_voicemail", "app_voicemail", "asterisk-voicemail-plain"),
        (
            "app_voicemail_odbc",
            "app_voicemail",
            "asterisk-voicemail-odbc",
        ),
        (
            "app_voicemail_imap",
            "app_voicemail",
            "asterisk-voicemail-imap",
        ),
        ("res_x_a_b", "res_x", "asterisk-x-a-b"),
    ];
    for (m, base, want) in cases {
        assert_eq!(package_of_variant(m, base), want);
    }
}

#[test]
fn the_spec_declares_each_package() {
    let split = split(&info(), &options(&["IMAP_TK", "COROSYNC"]), &[]).unwrap();
    let (packages, files) = split.spec_sections();
    for want in [
        "%package -n asterisk-postgresql\nSummary:        Asterisk modules that need pgsql\nRequires:       %{name}%{?_isa} = %{version}-%{release}\n\n%description -n asterisk-postgresql\nThe Asterisk modules that need PGSQL (configure.ac's name). Generated from the\ntree's MODULEINFO by cargo xtask rpm: cdr_pgsql.\n",
        "%package -n asterisk-pjsip\nSummary:        Asterisk modules that need pjproject\nRequires:       %{name}%{?_isa} = %{version}-%{release}\nRequires:       asterisk-curl%{?_isa} = %{version}-%{release}\n",
        "Conflicts:      asterisk-voicemail-odbc\n",
    ] {
        assert!(packages.contains(want), "{want}\n{packages}");
    }
    assert!(
        packages.replace('\n', " ").contains(
            "only one of asterisk-voicemail-plain, asterisk-voicemail-odbc may be installed"
        ),
        "{packages}"
    );
    let long = packages
        .lines()
        .find(|l| l.chars().count() > DESCRIPTION_WIDTH);
    assert!(long.is_none(), "{long:?}");
    assert!(
        files.contains("%files -n asterisk-odbc -f xtask-asterisk-odbc.files\n"),
        "{files}"
    );
    assert_eq!(files.matches("%files").count(), split.packages.len());
}

#[test]
fn descriptions_wrap_at_rpmlints_width() {
    assert_eq!(wrap("a b c", 3), "a b\nc");
    assert_eq!(wrap("", 79), "");
    assert_eq!(
        wrap("averyveryverylongword b", 5),
        "averyveryverylongword\nb"
    );
    let modules: Vec<String> = (0..60).map(|i| format!("res_pjsip_module_{i}")).collect();
    let text = format!("The modules: {}.", modules.join(", "));
    let wrapped = wrap(&text, DESCRIPTION_WIDTH);
    assert!(wrapped
        .lines()
        .all(|l| l.chars().count() <= DESCRIPTION_WIDTH));
    assert_eq!(
        wrapped.split_whitespace().collect::<Vec<_>>(),
        text.split_whitespace().collect::<Vec<_>>()
    );
}
