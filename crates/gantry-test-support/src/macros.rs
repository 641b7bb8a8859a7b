//! Test generation: one test body, one `#[tokio::test]` per backend
//! ([`backend_test!`]) or per package type and backend ([`type_test!`]), so
//! that a failure names the backend (and type) it happened on.
//!
//! Both take the same optional attributes, in this order, after the test's
//! doc comment:
//!
//! - `#[tweak(|config| ...)]`: a [`Tweak`](crate::Tweak) applied to the
//!   server's configuration (a closure capturing nothing, or a `fn`);
//! - `#[backends(sqlite)]`: only these backends (`sqlite`, `postgres`);
//!   default both, e.g. for tests driving slow real clients.
//!
//! A backend left out of `GANTRY_TEST_BACKENDS` is skipped visibly
//! ([`TestApp::for_backend`](crate::TestApp::for_backend) prints why);
//! one that is configured but unreachable fails. The calling crate needs
//! `tokio` (with `macros` and `rt`) as a dependency: the tests are
//! `#[::tokio::test]`s. The body sees the enclosing module's items and
//! imports (`use super::*`).

/// Generates one `#[tokio::test]` per backend from one async body taking a
/// [`TestApp`](crate::TestApp):
///
/// ```ignore
/// gantry_test_support::backend_test! {
///     /// Promotion copies no bytes.
///     async fn copies_without_new_bytes(app: TestApp) {
///         app.create_feed("approved", "universal").await;
///     }
///
///     /// Reads closed.
///     #[tweak(|c| c.anonymous_read = false)]
///     async fn needs_a_key(app: TestApp) { /* ... */ }
/// }
/// ```
///
/// gives a module `copies_without_new_bytes` holding the tests `sqlite` and
/// `postgres` (`promotions::copies_without_new_bytes::postgres`). `app` is
/// mutable in the body. Several tests may be given in one invocation.
#[macro_export]
macro_rules! backend_test {
    () => {};
    (
        $(#[doc = $doc:literal])*
        $(#[tweak($tweak:expr)])?
        $(#[backends($($backend:ident),+ $(,)?)])?
        async fn $name:ident($app:ident : TestApp $(,)?) $body:block
        $($rest:tt)*
    ) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[allow(unused_mut, clippy::needless_pass_by_value)]
            async fn run(mut $app: $crate::TestApp) $body

            $crate::__per_backend! {
                [$($($backend),+)?]
                tweak: $crate::__tweak!($($tweak)?),
                call: run,
            }
        }
        $crate::backend_test! { $($rest)* }
    };
}

/// Generates one `#[tokio::test]` per package type (universal, NuGet, npm,
/// Maven, Docker:
/// the [`TypeFixture`](crate::package_types::TypeFixture)s) and backend from
/// one async body taking a [`TestApp`](crate::TestApp) and the type:
///
/// ```ignore
/// gantry_test_support::type_test! {
///     /// Promotion shares the source's files.
///     async fn shares_files(app: TestApp, ty: impl TypeFixture) {
///         ty.create_feed(&app, "approved").await;
///     }
/// }
/// ```
///
/// gives `shares_files::upack::sqlite`, `shares_files::nuget::postgres`,
/// `shares_files::npm::postgres`, `shares_files::maven::sqlite`,
/// `shares_files::docker::postgres` and so on (ten tests). Takes the same
/// `#[tweak(...)]` and `#[backends(...)]` attributes as [`backend_test!`].
#[macro_export]
macro_rules! type_test {
    () => {};
    (
        $(#[doc = $doc:literal])*
        $(#[tweak($tweak:expr)])?
        $(#[backends($($backend:ident),+ $(,)?)])?
        async fn $name:ident($app:ident : TestApp, $ty:ident : impl TypeFixture $(,)?) $body:block
        $($rest:tt)*
    ) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[allow(unused_mut, clippy::needless_pass_by_value)]
            async fn run(mut $app: $crate::TestApp, $ty: impl $crate::package_types::TypeFixture) $body

            $crate::__per_type! {
                [$($($backend),+)?],
                $crate::__tweak!($($tweak)?);
                upack => Universal,
                nuget => NuGet,
                npm => Npm,
                maven => Maven,
                docker => Docker,
            }
        }
        $crate::type_test! { $($rest)* }
    };
}

/// One module per package type (`module => fixture`, the fixture a
/// [`TypeFixture`](crate::package_types::TypeFixture) in
/// [`crate::package_types`]), each holding the tests of
/// [`__per_backend!`](crate::__per_backend) calling `super::run` with it:
/// the list of types the cross-type suites run on.
#[doc(hidden)]
#[macro_export]
macro_rules! __per_type {
    ($backends:tt, $tweak:expr;) => {};
    ($backends:tt, $tweak:expr; $module:ident => $fixture:ident, $($rest:tt)*) => {
        #[doc = concat!(stringify!($fixture), " packages.")]
        mod $module {
            $crate::__per_backend! {
                $backends
                tweak: $tweak,
                call: super::run,
                with: $crate::package_types::$fixture,
            }
        }
        $crate::__per_type! { $backends, $tweak; $($rest)* }
    };
}

/// One `#[tokio::test]` per backend named in the brackets (both when none
/// is), each starting a [`TestApp`](crate::TestApp) with the tweak and
/// calling `call(app)` or `call(app, with)`.
#[doc(hidden)]
#[macro_export]
macro_rules! __per_backend {
    ([] $($rest:tt)*) => {
        $crate::__per_backend! { [sqlite, postgres] $($rest)* }
    };
    ([$($backend:ident),+] tweak: $tweak:expr, call: $call:path, with: $with:expr,) => {
        $(
            #[::tokio::test]
            async fn $backend() {
                let tweak: $crate::Tweak = $tweak;
                if let Some(app) = $crate::TestApp::for_backend($crate::__backend!($backend), tweak).await {
                    $call(app, $with).await;
                }
            }
        )+
    };
    ([$($backend:ident),+] tweak: $tweak:expr, call: $call:path,) => {
        $(
            #[::tokio::test]
            async fn $backend() {
                let tweak: $crate::Tweak = $tweak;
                if let Some(app) = $crate::TestApp::for_backend($crate::__backend!($backend), tweak).await {
                    $call(app).await;
                }
            }
        )+
    };
}

/// The configuration tweak of a generated test: the one given, or none.
#[doc(hidden)]
#[macro_export]
macro_rules! __tweak {
    () => {
        |_| {}
    };
    ($tweak:expr) => {
        $tweak
    };
}

/// A backend's name in a generated test, as a [`Backend`](crate::Backend).
#[doc(hidden)]
#[macro_export]
macro_rules! __backend {
    (sqlite) => {
        $crate::Backend::Sqlite
    };
    (postgres) => {
        $crate::Backend::Postgres
    };
}
