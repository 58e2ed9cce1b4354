//! How a route is declared, and the one list of them all.
//!
//! Each capability folder declares its own routes in its `mod.rs`, one expression per
//! route: the method is written once, by the function that starts the declaration
//! (`get`, `post`, ...); the access comes next and must be named before the declaration is
//! a [`Route`] at all; the API description and the place in the menu follow by name:
//!
//! ```ignore
//! get("/api/v1/customers/{customer_id}", api::show).needs(CustomersRead).answers::<CustomerDetail>().about("One customer")
//! ```
//!
//! [`all`] concatenates the capabilities' lists. The router, the guards, the OpenAPI
//! document, the navigation, "no route without a declared permission" and the cross-tenant
//! walk are all built from that one list.

use crate::guard::{GuardState, guard};
use crate::openapi::{SchemaRef, schema_of};
use crate::{AppState, access, audit, booking, customers, messaging, openapi, operations, pages, privacy, security};
use crate::{reports, retention, settings, tenancy, usage};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use schemars::JsonSchema;
use std::sync::LazyLock;
use steward_domain::permissions::{Access, Permission};

/// How the OpenAPI document describes an API route.
#[derive(Clone, Copy)]
pub struct ApiDoc {
    /// The type of the request body, if it has one.
    pub request: Option<SchemaRef>,
    /// The type of the query string, if it reads one.
    pub query: Option<SchemaRef>,
    /// The type of the success response; `None` when it answers no JSON.
    pub response: Option<SchemaRef>,
    /// Whether the response is a list of `response`.
    pub list: bool,
    pub success_status: u16,
}

/// Where a signed-in page appears: in the main menu (the day's work), or on the settings
/// page under one of its headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuEntry {
    /// Lower comes first; the tens leave room between neighbours.
    pub place: u16,
    pub label: &'static str,
    pub section: Section,
}

/// The main menu, or a heading of the settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Main,
    Business,
    Team,
    Messages,
    DataAndPrivacy,
    Developer,
    You,
}

impl Section {
    pub const SETTINGS: [Section; 6] = [
        Section::Business,
        Section::Team,
        Section::Messages,
        Section::DataAndPrivacy,
        Section::Developer,
        Section::You,
    ];

    pub fn heading(self) -> &'static str {
        match self {
            Section::Main => "Main",
            Section::Business => "Your business",
            Section::Team => "Team and roles",
            Section::Messages => "Reminders and channels",
            Section::DataAndPrivacy => "Data and privacy",
            Section::Developer => "Developers",
            Section::You => "You",
        }
    }
}

/// One route.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub api: Option<ApiDoc>,
    pub menu: Option<MenuEntry>,
    pub handler: MethodRouter<AppState>,
    /// Set by [`Route::status`]: the documented status no longer follows the method.
    status_fixed: bool,
    /// Set by [`Route::body_limit`]: a page that takes files, as a multipart form up to
    /// this many bytes.
    pub upload_limit: Option<usize>,
}

/// A route whose access is not declared yet: only a declaration of access makes it a
/// [`Route`], so none can be served without one.
pub struct Unguarded {
    method: Method,
    path: &'static str,
    handler: MethodRouter<AppState>,
}

macro_rules! starts {
    ($($name:ident => $method:ident),* $(,)?) => {$(
        #[doc = concat!("Starts the declaration of a `", stringify!($method), "` route.")]
        pub fn $name<H, T>(path: &'static str, handler: H) -> Unguarded
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            Unguarded { method: Method::$method, path, handler: axum::routing::$name(handler) }
        }
    )*};
}

starts!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE);

impl Unguarded {
    fn with(self, access: Access) -> Route {
        Route {
            method: self.method,
            path: self.path,
            access,
            summary: "",
            api: None,
            menu: None,
            handler: self.handler,
            status_fixed: false,
            upload_limit: None,
        }
    }

    /// Anyone may call it, signed in or not.
    pub fn public(self) -> Route {
        self.with(Access::Public)
    }

    /// Any signed-in member of the business may call it.
    pub fn member(self) -> Route {
        self.with(Access::Member)
    }

    /// Only a member whose role grants `permission` may call it.
    pub fn needs(self, permission: Permission) -> Route {
        self.with(Access::Permission(permission))
    }
}

impl Route {
    /// What the route does, in a line: shown in the OpenAPI document and in logs of denials.
    pub fn about(mut self, summary: &'static str) -> Self {
        self.summary = summary;
        self
    }

    /// Takes files: multipart bodies up to `bytes`, instead of the server's limit.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self.handler.layer(DefaultBodyLimit::max(bytes));
        self.upload_limit = Some(bytes);
        self
    }

    /// Lists the page in the main menu of members who may open it.
    pub fn menu(mut self, place: u16, label: &'static str) -> Self {
        self.menu = Some(MenuEntry { place, label, section: Section::Main });
        self
    }

    /// Lists the page on the settings page, under `section`, for members who may open it.
    pub fn setting(mut self, place: u16, label: &'static str, section: Section) -> Self {
        self.menu = Some(MenuEntry { place, label, section });
        self
    }

    /// An API route: takes a JSON body of type `T`.
    pub fn takes<T: JsonSchema>(mut self) -> Self {
        self.api_doc().request = Some(schema_of::<T>());
        self
    }

    /// An API route: reads its query string into `T`, one parameter per field.
    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.api_doc().query = Some(schema_of::<T>());
        self
    }

    /// An API route: answers a `T`.
    pub fn answers<T: JsonSchema>(self) -> Self {
        self.answering(schema_of::<T>(), false)
    }

    /// An API route: answers a list of `T`.
    pub fn answers_list<T: JsonSchema>(self) -> Self {
        self.answering(schema_of::<T>(), true)
    }

    /// An API route that answers no JSON: 204, or a file for a `GET`.
    pub fn answers_no_json(mut self) -> Self {
        self.api_doc();
        self
    }

    /// The documented success status, where it is not the method's usual one (a `POST` that
    /// creates nothing answers 200).
    pub fn status(mut self, status: u16) -> Self {
        self.api_doc().success_status = status;
        self.status_fixed = true;
        self
    }

    fn answering(mut self, schema: SchemaRef, list: bool) -> Self {
        let method = self.method.clone();
        let status_fixed = self.status_fixed;
        let doc = self.api_doc();
        doc.response = Some(schema);
        doc.list = list;
        if !status_fixed {
            doc.success_status = usual_status(&method, doc.response);
        }
        self
    }

    fn api_doc(&mut self) -> &mut ApiDoc {
        let method = self.method.clone();
        self.api.get_or_insert_with(|| ApiDoc {
            request: None,
            query: None,
            response: None,
            list: false,
            success_status: usual_status(&method, None),
        })
    }
}

/// The success status a method usually answers: 201 for a `POST` that answers what it
/// created, 204 for a change that answers nothing.
fn usual_status(method: &Method, response: Option<SchemaRef>) -> u16 {
    match (method, response) {
        (&Method::GET, _) => 200,
        (_, None) => 204,
        (&Method::POST, Some(_)) => 201,
        _ => 200,
    }
}

/// Every route, capability by capability. A capability adds its list here once; its routes
/// are then served, guarded, documented and, where they say so, in the menu.
pub fn all() -> Vec<Route> {
    [
        operations::routes(),
        pages::routes(),
        openapi::routes(),
        access::routes(),
        tenancy::routes(),
        customers::routes(),
        booking::routes(),
        messaging::routes(),
        privacy::routes(),
        retention::routes(),
        audit::routes(),
        usage::routes(),
        reports::routes(),
        settings::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every menu entry, main and settings, in order: each with the access its page declared.
pub fn menu() -> &'static [(MenuEntry, &'static str, Access)] {
    static MENU: LazyLock<Vec<(MenuEntry, &'static str, Access)>> = LazyLock::new(|| {
        let mut menu: Vec<_> = all()
            .into_iter()
            .filter(|route| route.method == Method::GET)
            .filter_map(|route| route.menu.map(|entry| (entry, route.path, route.access)))
            .collect();
        menu.sort_by_key(|(entry, _, _)| entry.place);
        menu
    });
    &MENU
}

/// Builds the router from the list: each route behind its own guard.
pub fn build_router(state: AppState, body_limit: usize) -> Router {
    let mut router: Router<AppState> = Router::new();
    for route in all() {
        let guard_state = GuardState {
            state: state.clone(),
            access: route.access,
            // Provider callbacks are signed by the provider, not sent by a browser: no
            // session, no CSRF token, no Origin (the app layer checks the signature).
            api: route.path.starts_with("/api/v1/") || route.path.starts_with("/hooks/"),
            route: route.path,
            upload_limit: route.upload_limit,
        };
        let guarded = route.handler.route_layer(axum::middleware::from_fn_with_state(guard_state, guard));
        router = router.route(route.path, guarded);
    }
    router
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::request_context))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_route_is_declared_once_and_says_what_it_does() {
        let mut seen = BTreeSet::new();
        for route in all() {
            assert!(!route.summary.is_empty(), "{} {} has no summary", route.method, route.path);
            assert!(
                seen.insert((route.method.to_string(), route.path)),
                "{} {} is declared twice",
                route.method,
                route.path
            );
            assert_eq!(
                route.api.is_some(),
                route.path.starts_with("/api/v1/") && route.path != "/api/v1/openapi.json",
                "{} {}: API routes, and only they, describe their types",
                route.method,
                route.path
            );
        }
    }

    #[test]
    fn the_menu_lists_signed_in_pages_in_order_each_once() {
        let menu = menu();
        let places: BTreeSet<u16> = menu.iter().map(|(entry, _, _)| entry.place).collect();
        assert_eq!(places.len(), menu.len(), "two menu entries share a place");
        for (entry, path, access) in menu {
            assert!(path.starts_with("/app"), "{} ({path}) is not a signed-in page", entry.label);
            assert_ne!(*access, Access::Public, "{} is public", entry.label);
        }
        assert!(menu.windows(2).all(|pair| pair[0].0.place < pair[1].0.place));
        let labels: Vec<&str> = menu.iter().map(|(entry, _, _)| entry.label).collect();
        assert_eq!(labels.first(), Some(&"Today"));
        assert!(labels.contains(&"Customers") && labels.contains(&"API tokens"));
        let main: Vec<&str> = menu
            .iter()
            .filter(|(entry, _, _)| entry.section == Section::Main)
            .map(|(entry, _, _)| entry.label)
            .collect();
        // What a phone's bottom bar holds, with Settings after them.
        assert!(main.len() <= 4, "the main menu grew past a phone's bottom bar: {main:?}");
    }
}
