//! The POM (`pom.xml`, deployed as `{artifactId}-{version}.pom`): the
//! coordinates and description of an artifact and its dependencies.
//!
//! Only what the server stores is read; elements are matched by local name
//! whatever their namespace, and unknown ones are ignored. The coordinates
//! fall back to the `<parent>`'s as Maven's do (an artifactId never does),
//! and must be valid Maven coordinates; properties (`${project.version}`)
//! are not expanded, so a POM whose own coordinates are properties is
//! refused, and dependencies keep them as written. A DTD is refused, and so
//! is any entity reference other than the five predefined ones and
//! character references: no external entities, no entity expansion.

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::BytesStart;
use quick_xml::XmlVersion;
use serde_json::{json, Map, Value};

use super::{validate_artifact_id, validate_group_id, validate_version};
use crate::xml_document::{read_document, ElementSink};
use crate::FormatError;

/// The largest POM accepted; a real one is a few kilobytes.
pub const MAX_POM_BYTES: usize = 1024 * 1024;

/// What Gantry reads from a POM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pom {
    /// The groupId: the POM's own, else its parent's.
    pub group_id: String,
    /// The artifactId.
    pub artifact_id: String,
    /// The version: the POM's own, else its parent's.
    pub version: String,
    /// The packaging (`jar` when the POM does not say).
    pub packaging: String,
    /// The display name ("" when absent).
    pub name: String,
    /// The description ("" when absent).
    pub description: String,
    /// The project's home page ("" when absent).
    pub url: String,
    /// The names of the licenses.
    pub licenses: Vec<String>,
    /// The dependencies (not those of `<dependencyManagement>` or profiles).
    pub dependencies: Vec<PomDependency>,
    /// The parent POM, if any.
    pub parent: Option<PomParent>,
}

/// A `<dependency>`, as written (properties not expanded, "" when absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PomDependency {
    /// The groupId.
    pub group_id: String,
    /// The artifactId.
    pub artifact_id: String,
    /// The version or version range ("" when managed elsewhere).
    pub version: String,
    /// The scope (`compile`, `test`, ...; "" when absent, which is `compile`
    /// unless a `<dependencyManagement>` says otherwise).
    pub scope: String,
    /// Whether the dependency is `<optional>true</optional>`.
    pub optional: bool,
}

/// The `<parent>` of a POM, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PomParent {
    /// The parent's groupId.
    pub group_id: String,
    /// The parent's artifactId.
    pub artifact_id: String,
    /// The parent's version.
    pub version: String,
}

impl Pom {
    /// The metadata the server stores with a version: `packaging`,
    /// `licenses` (names) and `dependencies` (objects with `groupId`,
    /// `artifactId`, `version` and `scope`, "" when absent) always;
    /// `name`, `description` and `url` when the POM gives them.
    pub fn metadata(&self) -> Value {
        let mut metadata = Map::new();
        for (key, value) in [
            ("name", &self.name),
            ("description", &self.description),
            ("url", &self.url),
        ] {
            if !value.is_empty() {
                metadata.insert(key.into(), Value::String(value.clone()));
            }
        }
        metadata.insert("packaging".into(), Value::String(self.packaging.clone()));
        metadata.insert("licenses".into(), json!(self.licenses));
        let dependencies: Vec<Value> = self
            .dependencies
            .iter()
            .map(|d| {
                json!({
                    "groupId": d.group_id,
                    "artifactId": d.artifact_id,
                    "version": d.version,
                    "scope": d.scope,
                })
            })
            .collect();
        metadata.insert("dependencies".into(), Value::Array(dependencies));
        Value::Object(metadata)
    }
}

/// Reads a POM (UTF-8, a BOM allowed).
///
/// Refuses documents over 1 MiB, DTDs, entity references other than the
/// predefined ones, invalid XML, a root other than `<project>`, and a
/// missing or invalid groupId, artifactId or version (after the parent
/// fallback).
pub fn read_pom(bytes: &[u8]) -> Result<Pom, FormatError> {
    let mut builder = Builder::default();
    read_document(bytes, "the POM", MAX_POM_BYTES, &mut builder)?;
    builder.finish()
}

/// Checks that an element's attributes are well formed and use no other
/// entities; the POM elements read carry no attributes.
fn check_attributes(element: &BytesStart<'_>) -> Result<(), FormatError> {
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| FormatError(format!("the POM is not valid XML: {e}")))?;
        attribute
            .normalized_value_with(XmlVersion::Implicit1_0, 1, resolve_xml_entity)
            .map_err(|e| {
                FormatError(format!(
                    "the POM has an invalid value for the attribute '{}' (only &amp; &lt; &gt; \
                     &quot; &apos; and character references are allowed): {e}",
                    attribute.key.0.escape_debug()
                ))
            })?;
    }
    Ok(())
}

/// The elements whose text is read, by their path below `<project>`.
const PROJECT_FIELDS: [&str; 7] = [
    "groupId",
    "artifactId",
    "version",
    "packaging",
    "name",
    "description",
    "url",
];
const PARENT_FIELDS: [&str; 3] = ["groupId", "artifactId", "version"];
const DEPENDENCY_FIELDS: [&str; 5] = ["groupId", "artifactId", "version", "scope", "optional"];

/// Builds a [`Pom`] from the event stream.
#[derive(Default)]
struct Builder {
    /// Local names of the open elements, root first.
    path: Vec<String>,
    root_opened: bool,
    root_closed: bool,
    /// The depth of the open element whose text is read (its text
    /// includes that of any elements inside it).
    reading: Option<usize>,
    /// The text of that element so far.
    text: String,
    /// The project's own fields, by name.
    fields: Vec<(String, String)>,
    parent: Option<PomParent>,
    licenses: Vec<String>,
    dependencies: Vec<PomDependency>,
}

impl ElementSink for Builder {
    fn open(&mut self, element: &BytesStart<'_>, empty: bool) -> Result<(), FormatError> {
        check_attributes(element)?;
        let name = element.local_name().into_inner().to_owned();
        if self.path.is_empty() {
            if self.root_closed {
                return Err(FormatError(
                    "the POM is not valid XML: it has more than one root element".into(),
                ));
            }
            if name != "project" {
                return Err(FormatError(format!(
                    "the POM's root element is <{}>, not <project>",
                    name.escape_debug()
                )));
            }
            self.root_opened = true;
        } else if self.at(&[]) && name == "parent" {
            self.parent = Some(PomParent::default());
        } else if self.at(&["licenses"]) && name == "license" {
            self.licenses.push(String::new());
        } else if self.at(&["dependencies"]) && name == "dependency" {
            self.dependencies.push(PomDependency::default());
        }
        self.path.push(name);
        if self.reading.is_none() && self.at_text_field() {
            self.reading = Some(self.path.len());
            self.text.clear();
        }
        if empty {
            self.close();
        }
        Ok(())
    }

    fn close(&mut self) {
        if self.reading == Some(self.path.len()) {
            let value = std::mem::take(&mut self.text).trim().to_owned();
            self.set_field(value);
            self.reading = None;
        }
        // quick-xml checks that end tags match, so this is the open element.
        self.path.pop();
        if self.path.is_empty() {
            self.root_closed = true;
        }
    }

    fn text(&mut self, text: &str) -> Result<(), FormatError> {
        if self.path.is_empty() {
            if text.trim().is_empty() {
                return Ok(());
            }
            return Err(FormatError(
                "the POM is not valid XML: it has text outside the root element".into(),
            ));
        }
        if self.reading.is_some() {
            if self.text.len() + text.len() > MAX_POM_BYTES {
                // Cannot happen with a document of at most 1 MiB, but keeps
                // the buffer bounded whatever the references expand to.
                return Err(FormatError("the POM is larger than 1 MiB".into()));
            }
            self.text.push_str(text);
        }
        Ok(())
    }
}

impl Builder {
    /// Whether the open elements, below the root, are exactly `names`.
    fn at(&self, names: &[&str]) -> bool {
        self.path.len() == names.len() + 1 && self.path[1..].iter().zip(names).all(|(a, b)| a == b)
    }

    /// Whether the open element is one whose text is read.
    fn at_text_field(&self) -> bool {
        let Some((name, parents)) = self.path.split_last() else {
            return false;
        };
        let name = name.as_str();
        match parents.get(1..).unwrap_or_default() {
            [] => PROJECT_FIELDS.contains(&name),
            [parent] if parent == "parent" => PARENT_FIELDS.contains(&name),
            [licenses, license] if licenses == "licenses" && license == "license" => name == "name",
            [dependencies, dependency] if dependencies == "dependencies" && dependency == "dependency" => {
                DEPENDENCY_FIELDS.contains(&name)
            }
            _ => false,
        }
    }

    fn set_field(&mut self, value: String) {
        let Some((name, parents)) = self.path.split_last() else {
            return;
        };
        let name = name.as_str();
        match parents.get(1).map(String::as_str) {
            None => self.fields.push((name.to_owned(), value)),
            Some("parent") => {
                if let Some(parent) = &mut self.parent {
                    match name {
                        "groupId" => parent.group_id = value,
                        "artifactId" => parent.artifact_id = value,
                        _ => parent.version = value,
                    }
                }
            }
            Some("licenses") => {
                if let Some(license) = self.licenses.last_mut() {
                    *license = value;
                }
            }
            Some(_) => {
                if let Some(dependency) = self.dependencies.last_mut() {
                    match name {
                        "groupId" => dependency.group_id = value,
                        "artifactId" => dependency.artifact_id = value,
                        "version" => dependency.version = value,
                        "scope" => dependency.scope = value,
                        _ => dependency.optional = value.eq_ignore_ascii_case("true"),
                    }
                }
            }
        }
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    fn finish(self) -> Result<Pom, FormatError> {
        if !self.root_opened {
            return Err(FormatError("the POM has no <project> root element".into()));
        }
        if let Some(open) = self.path.last() {
            return Err(FormatError(format!(
                "the POM is not valid XML: <{}> is not closed",
                open.escape_debug()
            )));
        }
        let parent_field = |pick: fn(&PomParent) -> &String| {
            self.parent
                .as_ref()
                .map(pick)
                .filter(|value| !value.is_empty())
                .map(String::as_str)
        };
        let artifact_id = self
            .field("artifactId")
            .ok_or_else(|| FormatError("the POM has no <artifactId>".into()))?;
        validate_artifact_id(artifact_id)
            .map_err(|e| FormatError(format!("the POM's <artifactId> is invalid: {e}")))?;
        let group_id = self
            .field("groupId")
            .or_else(|| parent_field(|p| &p.group_id))
            .ok_or_else(|| FormatError("the POM has no <groupId>, and no <parent> with one".into()))?;
        validate_group_id(group_id)
            .map_err(|e| FormatError(format!("the POM's <groupId> is invalid: {e}")))?;
        let version = self
            .field("version")
            .or_else(|| parent_field(|p| &p.version))
            .ok_or_else(|| FormatError("the POM has no <version>, and no <parent> with one".into()))?;
        validate_version(version).map_err(|e| FormatError(format!("the POM's <version> is invalid: {e}")))?;
        Ok(Pom {
            group_id: group_id.to_owned(),
            artifact_id: artifact_id.to_owned(),
            version: version.to_owned(),
            packaging: self.field("packaging").unwrap_or("jar").to_owned(),
            name: self.field("name").unwrap_or_default().to_owned(),
            description: self.field("description").unwrap_or_default().to_owned(),
            url: self.field("url").unwrap_or_default().to_owned(),
            licenses: self
                .licenses
                .into_iter()
                .filter(|name| !name.is_empty())
                .collect(),
            dependencies: self.dependencies,
            parent: self.parent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.acme</groupId>
    <artifactId>acme-parent</artifactId>
    <version>7</version>
    <relativePath/>
  </parent>
  <artifactId>widget</artifactId>
  <version>1.0-SNAPSHOT</version>
  <packaging>bundle</packaging>
  <name>Acme Widget</name>
  <description>
    Widgets &amp; gadgets &lt;3 &#x263A; <![CDATA[<raw>]]>
  </description>
  <url>https://acme.example/widget</url>
  <licenses>
    <license>
      <name>Apache-2.0</name>
      <url>https://www.apache.org/licenses/LICENSE-2.0.txt</url>
    </license>
    <license><name>MIT</name></license>
    <license><url>https://nameless.example</url></license>
  </licenses>
  <properties>
    <version>not the version</version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>managed</groupId><artifactId>only</artifactId><version>1</version></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>[2.0,3.0)</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.13.2</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>widget-extras</artifactId>
      <version>${project.version}</version>
      <optional>true</optional>
      <exclusions><exclusion><groupId>x</groupId><artifactId>y</artifactId></exclusion></exclusions>
    </dependency>
  </dependencies>
  <build><plugins><plugin><groupId>org.apache.felix</groupId><artifactId>maven-bundle-plugin</artifactId></plugin></plugins></build>
  <profiles><profile><dependencies><dependency><groupId>p</groupId><artifactId>q</artifactId></dependency></dependencies></profile></profiles>
</project>
"#;

    fn err(xml: &str) -> String {
        read_pom(xml.as_bytes()).expect_err(xml).0
    }

    #[test]
    fn reads_a_full_pom_with_parent_fallback() {
        let pom = read_pom(FULL.as_bytes()).expect("valid POM");
        assert_eq!(pom.group_id, "org.acme", "the parent's groupId");
        assert_eq!(pom.artifact_id, "widget");
        assert_eq!(pom.version, "1.0-SNAPSHOT");
        assert_eq!(pom.packaging, "bundle");
        assert_eq!(pom.name, "Acme Widget");
        assert_eq!(pom.description, "Widgets & gadgets <3 \u{263A} <raw>");
        assert_eq!(pom.url, "https://acme.example/widget");
        assert_eq!(pom.licenses, ["Apache-2.0", "MIT"]);
        assert_eq!(
            pom.parent,
            Some(PomParent {
                group_id: "org.acme".into(),
                artifact_id: "acme-parent".into(),
                version: "7".into(),
            })
        );
        assert_eq!(
            pom.dependencies,
            [
                PomDependency {
                    group_id: "org.slf4j".into(),
                    artifact_id: "slf4j-api".into(),
                    version: "[2.0,3.0)".into(),
                    scope: String::new(),
                    optional: false,
                },
                PomDependency {
                    group_id: "junit".into(),
                    artifact_id: "junit".into(),
                    version: "4.13.2".into(),
                    scope: "test".into(),
                    optional: false,
                },
                PomDependency {
                    group_id: "${project.groupId}".into(),
                    artifact_id: "widget-extras".into(),
                    version: "${project.version}".into(),
                    scope: String::new(),
                    optional: true,
                },
            ]
        );
    }

    #[test]
    fn metadata_shape() {
        let pom = read_pom(FULL.as_bytes()).expect("valid POM");
        assert_eq!(
            pom.metadata(),
            json!({
                "name": "Acme Widget",
                "description": "Widgets & gadgets <3 \u{263A} <raw>",
                "url": "https://acme.example/widget",
                "packaging": "bundle",
                "licenses": ["Apache-2.0", "MIT"],
                "dependencies": [
                    {"groupId": "org.slf4j", "artifactId": "slf4j-api", "version": "[2.0,3.0)", "scope": ""},
                    {"groupId": "junit", "artifactId": "junit", "version": "4.13.2", "scope": "test"},
                    {"groupId": "${project.groupId}", "artifactId": "widget-extras", "version": "${project.version}", "scope": ""},
                ],
            })
        );
        let minimal = read_pom(
            b"<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project>",
        )
        .expect("valid POM");
        assert_eq!(minimal.packaging, "jar");
        assert_eq!(minimal.parent, None);
        assert_eq!(
            minimal.metadata(),
            json!({"packaging": "jar", "licenses": [], "dependencies": []})
        );
    }

    #[test]
    fn own_coordinates_win_over_the_parent() {
        let pom = read_pom(
            b"<project><parent><groupId>p.g</groupId><artifactId>pa</artifactId><version>9</version></parent>
            <groupId>own.g</groupId><artifactId>a</artifactId><version>2</version></project>",
        )
        .expect("valid POM");
        assert_eq!((pom.group_id.as_str(), pom.version.as_str()), ("own.g", "2"));
        let pom = read_pom(
            b"<project><parent><groupId>p.g</groupId><artifactId>pa</artifactId><version>9</version></parent>
            <groupId> </groupId><artifactId>a</artifactId></project>",
        )
        .expect("valid POM");
        assert_eq!((pom.group_id.as_str(), pom.version.as_str()), ("p.g", "9"));
    }

    #[test]
    fn text_of_elements_inside_a_field_counts() {
        let pom = read_pom(
            b"<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>\
              <description>a <b>bold</b> move</description><name><!-- c -->N<?pi x?></name></project>",
        )
        .expect("valid POM");
        assert_eq!(pom.description, "a bold move");
        assert_eq!(pom.name, "N");
    }

    #[test]
    fn prefixed_namespaces_and_bom() {
        let xml = br#"<?xml version="1.0"?>
<m:project xmlns:m="http://maven.apache.org/POM/4.0.0"><m:groupId>g</m:groupId><m:artifactId>a</m:artifactId><m:version>1</m:version></m:project>"#;
        assert_eq!(read_pom(xml).expect("valid POM").artifact_id, "a");
        let with_bom =
            b"\xEF\xBB\xBF<project><groupId>g</groupId><artifactId>bom</artifactId><version>1</version></project>";
        assert_eq!(read_pom(with_bom).expect("BOM is fine").artifact_id, "bom");
    }

    #[test]
    fn missing_or_invalid_coordinates() {
        assert_eq!(
            err("<project><groupId>g</groupId><version>1</version></project>"),
            "the POM has no <artifactId>"
        );
        assert_eq!(
            err("<project><artifactId>a</artifactId><version>1</version></project>"),
            "the POM has no <groupId>, and no <parent> with one"
        );
        assert_eq!(
            err("<project><groupId>g</groupId><artifactId>a</artifactId></project>"),
            "the POM has no <version>, and no <parent> with one"
        );
        assert_eq!(
            err("<project><parent><groupId>g</groupId></parent><artifactId>a</artifactId></project>"),
            "the POM has no <version>, and no <parent> with one"
        );
        assert!(err(
            "<project><groupId>g</groupId><artifactId>a</artifactId><version>${revision}</version></project>"
        )
        .starts_with("the POM's <version> is invalid"));
        assert!(err(
            "<project><groupId>g..h</groupId><artifactId>a</artifactId><version>1</version></project>"
        )
        .starts_with("the POM's <groupId> is invalid"));
        assert!(err(
            "<project><groupId>g</groupId><artifactId>a b</artifactId><version>1</version></project>"
        )
        .starts_with("the POM's <artifactId> is invalid"));
    }

    #[test]
    fn refuses_invalid_documents() {
        assert_eq!(
            err("<pom><artifactId>a</artifactId></pom>"),
            "the POM's root element is <pom>, not <project>"
        );
        assert_eq!(err(""), "the POM has no <project> root element");
        assert!(err("<project><artifactId>a</project>").contains("not valid XML"));
        assert!(err("<project><artifactId>a</artifactId>").contains("is not closed"));
        assert!(err("<project/><project/>").contains("more than one root"));
        assert!(err("<project/>trailing").contains("text outside the root"));
        assert!(err(r#"<project a="1" a="2"/>"#).contains("not valid XML"));
        assert!(read_pom(b"<project>\xff</project>")
            .expect_err("latin-1")
            .0
            .contains("not UTF-8"));
        assert!(read_pom(&vec![b' '; MAX_POM_BYTES + 1])
            .expect_err("size")
            .0
            .contains("larger than 1 MiB"));
    }

    #[test]
    fn refuses_dtds_and_undeclared_entities() {
        let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><name>&xxe;</name></project>"#;
        assert_eq!(err(xxe), "the POM must not contain a DTD (<!DOCTYPE>)");
        let mut laughs = String::from("<!DOCTYPE project [<!ENTITY l0 \"lol\">");
        for level in 1..10 {
            let previous = format!("&l{};", level - 1).repeat(10);
            laughs.push_str(&["<!ENTITY l", &level.to_string(), " \"", &previous, "\">"].concat());
        }
        laughs.push_str("]><project><name>&l9;</name></project>");
        let started = std::time::Instant::now();
        assert!(err(&laughs).contains("DTD"));
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        assert!(err("<project><name>&l9;</name></project>").contains("undeclared entity '&l9;'"));
        assert!(err("<project><x><y>&foo;</y></x></project>").contains("undeclared entity"));
        assert!(err(r#"<project><x a="&xxe;"/></project>"#).contains("attribute 'a'"));
        assert!(err("<project><name>&#0;</name></project>").contains("character reference"));
    }
}
