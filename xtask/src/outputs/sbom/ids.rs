//! How scanners find a package: package URLs (purl) and CPE 2.3 names, and who made what the
//! packages bundle. Pure functions of plain text, with table tests.

/// Who supplied or wrote a component, as SPDX writes it (`Organization: NAME`, `Person: NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Organization(String),
    Person(String),
}

impl Party {
    pub fn name(&self) -> &str {
        match self {
            Party::Organization(n) | Party::Person(n) => n,
        }
    }

    /// `Organization: Teluu Ltd.`
    pub fn spdx(&self) -> String {
        match self {
            Party::Organization(n) => format!("Organization: {n}"),
            Party::Person(n) => format!("Person: {n}"),
        }
    }
}

/// What is known of an upstream project the tree bundles (or of Asterisk itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub originator: Party,
    /// SPDX license expression of its source.
    pub license: &'static str,
    /// `owner/name` on GitHub, for `pkg:github/...`.
    pub github: &'static str,
    /// The prefix of its release tags (`v` for libjwt's `v1.15.3`).
    pub tag_prefix: &'static str,
    /// CPE vendor and product, as NVD names them.
    pub cpe: (&'static str, &'static str),
}

/// Asterisk: Sangoma's, GPL-2.0-only; NVD names it `sangoma:asterisk` since 2022 (earlier
/// entries: `digium:asterisk`).
pub fn asterisk() -> Upstream {
    Upstream {
        originator: Party::Organization("Sangoma Technologies".into()),
        license: "GPL-2.0-only",
        github: "asterisk/asterisk",
        tag_prefix: "",
        cpe: ("sangoma", "asterisk"),
    }
}

/// The third-party sources Asterisk's `third-party/` bundles, by the name the tree gives them.
pub fn bundled(name: &str) -> Option<Upstream> {
    Some(match name {
        // pjproject is dual-licensed: GPL-2.0-or-later, or Teluu's commercial licence.
        crate::plan::bundled::PJPROJECT => Upstream {
            originator: Party::Organization("Teluu Ltd.".into()),
            license: "GPL-2.0-or-later",
            github: "pjsip/pjproject",
            tag_prefix: "",
            cpe: ("teluu", "pjsip"),
        },
        // libjwt 1.x is MPL-2.0 (3.x as well).
        "libjwt" => Upstream {
            originator: Party::Person("Ben Collins".into()),
            license: "MPL-2.0",
            github: "benmcollins/libjwt",
            tag_prefix: "v",
            cpe: ("benmcollins", "libjwt"),
        },
        "jansson" => Upstream {
            originator: Party::Person("Petri Lehtinen".into()),
            license: "MIT",
            github: "akheron/jansson",
            tag_prefix: "v",
            cpe: ("jansson_project", "jansson"),
        },
        _ => return None,
    })
}

/// Percent-encodes what a purl component may not hold as is (RFC 3986 unreserved stay).
fn purl_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// purl-spec's rpm type: `pkg:rpm/<vendor>/<name>@<version>-<release>?arch=<arch>` (`src` for a
/// source package).
pub fn rpm_purl(vendor: &str, name: &str, version_release: &str, arch: &str) -> String {
    format!(
        "pkg:rpm/{}/{}@{}?arch={}",
        purl_encode(&vendor.to_ascii_lowercase()),
        purl_encode(name),
        purl_encode(version_release),
        purl_encode(arch)
    )
}

/// `pkg:github/<owner>/<name>@<tag or commit>`.
pub fn github_purl(repo: &str, version: &str) -> String {
    format!("pkg:github/{repo}@{}", purl_encode(version))
}

/// `pkg:generic/<name>@<version>?download_url=<url>`, for a source nothing else names.
pub fn generic_purl(name: &str, version: &str, url: &str) -> String {
    let mut purl = format!("pkg:generic/{}@{}", purl_encode(name), purl_encode(version));
    if !url.is_empty() {
        purl.push_str(&format!("?download_url={}", purl_encode(url)));
    }
    purl
}

/// A CPE 2.3 formatted string for an application: `cpe:2.3:a:VENDOR:PRODUCT:VERSION:*:...`,
/// every character but letters, digits, `_`, `-` and `.` escaped with a backslash.
pub fn cpe(vendor: &str, product: &str, version: &str) -> String {
    let escape = |s: &str| -> String {
        let mut out = String::new();
        for c in s.chars() {
            if !(c.is_ascii_alphanumeric() || "_-.".contains(c)) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    };
    let version = match version {
        "" => "-".to_string(),
        v => escape(v),
    };
    format!(
        "cpe:2.3:a:{}:{}:{version}:*:*:*:*:*:*:*",
        escape(vendor),
        escape(product)
    )
}

/// The purl namespace and SPDX supplier of packages built here: the RPM's Vendor tag when the
/// build system set one (`(none)` otherwise), else "asterisk" for packages of Asterisk's tree.
pub fn rpm_vendor(vendor_tag: &str) -> (String, Party) {
    let tag = vendor_tag.trim();
    if tag.is_empty() || tag == "(none)" {
        return (
            "asterisk".into(),
            Party::Organization("Asterisk project".into()),
        );
    }
    let namespace: String = tag
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_ascii_lowercase();
    let namespace = if namespace.is_empty() {
        "asterisk".to_string()
    } else {
        namespace
    };
    (namespace, Party::Organization(tag.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_urls() {
        let cases = [
            (
                ("asterisk", "asterisk", "22.1.0-1.el9", "x86_64"),
                "pkg:rpm/asterisk/asterisk@22.1.0-1.el9?arch=x86_64",
            ),
            (
                ("Fedora Project", "asterisk-pjsip", "23.5.0~rc1-1", "x86_64"),
                "pkg:rpm/fedora%20project/asterisk-pjsip@23.5.0~rc1-1?arch=x86_64",
            ),
            (
                (
                    "asterisk",
                    "asterisk",
                    "22.10.1^20261130git1a2b3c4-1",
                    "src",
                ),
                "pkg:rpm/asterisk/asterisk@22.10.1%5E20261130git1a2b3c4-1?arch=src",
            ),
            (
                ("asterisk", "asterisk", "22.8+cert4-1", "noarch"),
                "pkg:rpm/asterisk/asterisk@22.8%2Bcert4-1?arch=noarch",
            ),
        ];
        for ((vendor, name, vr, arch), want) in cases {
            assert_eq!(rpm_purl(vendor, name, vr, arch), want);
        }
        assert_eq!(
            github_purl("benmcollins/libjwt", "v1.15.3"),
            "pkg:github/benmcollins/libjwt@v1.15.3"
        );
        assert_eq!(
            generic_purl("foo", "1.0", "https://x.org/a b/foo-1.0.tgz"),
            "pkg:generic/foo@1.0?download_url=https%3A%2F%2Fx.org%2Fa%20b%2Ffoo-1.0.tgz"
        );
    }

    #[test]
    fn cpe_names() {
        let cases = [
            (
                ("sangoma", "asterisk", "22.1.0"),
                "cpe:2.3:a:sangoma:asterisk:22.1.0:*:*:*:*:*:*:*",
            ),
            (
                ("teluu", "pjsip", "2.17"),
                "cpe:2.3:a:teluu:pjsip:2.17:*:*:*:*:*:*:*",
            ),
            (
                ("sangoma", "asterisk", "certified/22.8-cert4"),
                "cpe:2.3:a:sangoma:asterisk:certified\\/22.8-cert4:*:*:*:*:*:*:*",
            ),
            (
                ("sangoma", "asterisk", "GIT-master-abc1234M"),
                "cpe:2.3:a:sangoma:asterisk:GIT-master-abc1234M:*:*:*:*:*:*:*",
            ),
            (
                ("sangoma", "asterisk", "a:b*c"),
                "cpe:2.3:a:sangoma:asterisk:a\\:b\\*c:*:*:*:*:*:*:*",
            ),
            (("x", "y", ""), "cpe:2.3:a:x:y:-:*:*:*:*:*:*:*"),
        ];
        for ((v, p, ver), want) in cases {
            assert_eq!(cpe(v, p, ver), want);
        }
    }

    #[test]
    fn vendors_and_release_addresses() {
        assert_eq!(rpm_vendor("(none)").0, "asterisk");
        assert_eq!(rpm_vendor("").1.spdx(), "Organization: Asterisk project");
        assert_eq!(rpm_vendor("Fedora Project").0, "fedora-project");
        assert_eq!(
            rpm_vendor("Fedora Project").1.spdx(),
            "Organization: Fedora Project"
        );
        assert_eq!(bundled("pjproject").unwrap().license, "GPL-2.0-or-later");
        assert_eq!(
            bundled("libjwt").unwrap().originator.spdx(),
            "Person: Ben Collins"
        );
        assert!(bundled("other").is_none());
    }
}
