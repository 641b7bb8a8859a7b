//! The two fixed documents of the feed: the AtomPub service document at the
//! feed root (NuGet reads its `xml:base` as the address of everything else)
//! and the `$metadata` EDMX schema, where clients check which functions the
//! feed offers before they search.

use std::fmt::Write as _;

use super::atom::{escape, METADATA_NS};

/// The service document: one workspace with the `Packages` collection.
pub fn service_document(root: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <service xml:base=\"{}\" xmlns=\"http://www.w3.org/2007/app\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\
         <workspace><atom:title>Default</atom:title>\
         <collection href=\"Packages\"><atom:title>Packages</atom:title></collection>\
         </workspace></service>",
        escape(root)
    )
    .into_bytes()
}

/// Every property an entry carries, with its EDM type and nullability, in
/// the order [`super::atom`] writes them.
pub const PROPERTIES: &[(&str, &str, bool)] = &[
    ("Id", "Edm.String", false),
    ("Version", "Edm.String", false),
    ("NormalizedVersion", "Edm.String", true),
    ("Title", "Edm.String", true),
    ("Description", "Edm.String", true),
    ("Summary", "Edm.String", true),
    ("ReleaseNotes", "Edm.String", true),
    ("Authors", "Edm.String", true),
    ("Owners", "Edm.String", true),
    ("Copyright", "Edm.String", true),
    ("Language", "Edm.String", true),
    ("Tags", "Edm.String", true),
    ("ProjectUrl", "Edm.String", true),
    ("IconUrl", "Edm.String", true),
    ("LicenseUrl", "Edm.String", true),
    ("LicenseNames", "Edm.String", true),
    ("RequireLicenseAcceptance", "Edm.Boolean", false),
    ("DevelopmentDependency", "Edm.Boolean", false),
    ("Dependencies", "Edm.String", true),
    ("MinClientVersion", "Edm.String", true),
    ("IsLatestVersion", "Edm.Boolean", false),
    ("IsAbsoluteLatestVersion", "Edm.Boolean", false),
    ("IsPrerelease", "Edm.Boolean", false),
    ("Listed", "Edm.Boolean", false),
    ("Published", "Edm.DateTime", false),
    ("Created", "Edm.DateTime", false),
    ("LastUpdated", "Edm.DateTime", false),
    ("DownloadCount", "Edm.Int32", false),
    ("VersionDownloadCount", "Edm.Int32", false),
    ("PackageHash", "Edm.String", true),
    ("PackageHashAlgorithm", "Edm.String", true),
    ("PackageSize", "Edm.Int64", false),
];

/// The functions the feed answers, with their parameters.
const FUNCTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "Search",
        &[
            ("searchTerm", "Edm.String"),
            ("targetFramework", "Edm.String"),
            ("includePrerelease", "Edm.Boolean"),
        ],
    ),
    ("FindPackagesById", &[("id", "Edm.String")]),
    (
        "GetUpdates",
        &[
            ("packageIds", "Edm.String"),
            ("versions", "Edm.String"),
            ("includePrerelease", "Edm.Boolean"),
            ("includeAllVersions", "Edm.Boolean"),
            ("targetFrameworks", "Edm.String"),
            ("versionConstraints", "Edm.String"),
        ],
    ),
];

/// The `$metadata` document: the `V2FeedPackage` entity type keyed by Id
/// and Version, the `Packages` set and the function imports. The type's
/// names are nuget.org's, which some clients match on.
pub fn metadata_document() -> Vec<u8> {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <edmx:Edmx Version=\"1.0\" xmlns:edmx=\"http://schemas.microsoft.com/ado/2007/06/edmx\">\
         <edmx:DataServices xmlns:m=\"{METADATA_NS}\" m:DataServiceVersion=\"2.0\" m:MaxDataServiceVersion=\"2.0\">\
         <Schema Namespace=\"NuGetGallery.OData\" xmlns=\"http://schemas.microsoft.com/ado/2006/04/edm\">\
         <EntityType Name=\"V2FeedPackage\" m:HasStream=\"true\">\
         <Key><PropertyRef Name=\"Id\"/><PropertyRef Name=\"Version\"/></Key>"
    );
    for (name, edm_type, nullable) in PROPERTIES {
        let _ = write!(
            out,
            "<Property Name=\"{name}\" Type=\"{edm_type}\" Nullable=\"{nullable}\"/>"
        );
    }
    out.push_str(
        "</EntityType></Schema>\
         <Schema Namespace=\"NuGetGallery\" xmlns=\"http://schemas.microsoft.com/ado/2006/04/edm\">\
         <EntityContainer Name=\"V2FeedContext\" m:IsDefaultEntityContainer=\"true\">\
         <EntitySet Name=\"Packages\" EntityType=\"NuGetGallery.OData.V2FeedPackage\"/>",
    );
    for (name, parameters) in FUNCTIONS {
        let _ = write!(
            out,
            "<FunctionImport Name=\"{name}\" ReturnType=\"Collection(NuGetGallery.OData.V2FeedPackage)\" \
             EntitySet=\"Packages\" m:HttpMethod=\"GET\">"
        );
        for (parameter, edm_type) in *parameters {
            let _ = write!(out, "<Parameter Name=\"{parameter}\" Type=\"{edm_type}\"/>");
        }
        out.push_str("</FunctionImport>");
    }
    out.push_str("</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>");
    out.into_bytes()
}
