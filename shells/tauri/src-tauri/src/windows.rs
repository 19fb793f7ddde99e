//! The two windows: the splash (declared in tauri.conf.json) and the app window on the backend
//! origin, which may never navigate anywhere else.

use desktop_django_supervisor::{Navigation, Origin};
use serde_json::json;
use tauri::webview::{NewWindowResponse, PageLoadEvent};
use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder};
use tauri_plugin_opener::OpenerExt;

use crate::announce::announce;
use crate::backend::Backend;
use crate::smoke;

pub const SPLASH: &str = "splash";
pub const MAIN: &str = "main";
/// The page that trades the token for the cookie and redirects: not yet the app.
const BOOTSTRAP_PATH: &str = "/desktop-auth/bootstrap/";

/// The page the hidden app window holds until the backend serves: an empty page of the app's
/// own (ui/waiting.html), so WebKit starts the window's web process while the backend starts
/// (on about:blank it starts none, and the first navigation waited for one).
const WAITING_PAGE: &str = "waiting.html";

/// The app window on a started backend: sent to its bootstrap URL, first from the waiting page
/// it was prepared on, after a restart from the old backend's page (the navigation lock
/// follows the backend's current origin).
pub fn show_backend(app: &AppHandle, bootstrap_url: &str) -> Result<(), String> {
    let url: Url = bootstrap_url.parse().map_err(|err| format!("bad bootstrap URL: {err}"))?;
    let window = match app.get_webview_window(MAIN) {
        Some(window) => window,
        None => prepare_main(app)?,
    };
    announce("navigation-started", json!({}));
    window.navigate(url).map_err(|err| err.to_string())
}

/// The backend's origin now (None before it started, or while it restarts).
fn current_origin(app: &AppHandle) -> Option<Origin> {
    app.try_state::<Backend>().and_then(|backend| backend.origin())
}

/// Make the app window, hidden, on the waiting page, while the backend starts: its window and web
/// view are then ready when the backend serves (the timeline showed them costing most of the
/// time from the ready line to the page). On the bootstrap URL the backend answers with the
/// HttpOnly cookie and a redirect to `/`, so the token is gone from the address once the first
/// page shows. The window stays hidden until that page has loaded, then replaces the splash.
pub fn prepare_main(app: &AppHandle) -> Result<WebviewWindow, String> {
    let menu = crate::menu::build(app).map_err(|err| err.to_string())?;
    let navigation_app = app.clone();
    let popup_app = app.clone();
    let window = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App(WAITING_PAGE.into()))
        .title(app.package_info().name.clone())
        .inner_size(1200.0, 800.0)
        .min_inner_size(720.0, 480.0)
        .center()
        .visible(false)
        .menu(menu)
        // The waiting page is the window's own first load, and holds nothing to lock away.
        .on_navigation(move |url| is_waiting_page(url) || guard(&navigation_app, url))
        .on_new_window(move |url, _features| {
            // A second window would escape the navigation guard: same-origin targets open in
            // the app window, web links in the browser, anything else nowhere.
            if guard(&popup_app, &url) {
                if let Some(window) = popup_app.get_webview_window(MAIN) {
                    let _ = window.navigate(url);
                }
            }
            NewWindowResponse::Deny
        })
        .on_page_load(move |window, payload| {
            if !matches!(payload.event(), PageLoadEvent::Finished) {
                return;
            }
            if is_waiting_page(payload.url()) {
                // The window's web process is up: the same milestone as Positron's splash.
                announce("webview-ready", json!({}));
                return;
            }
            if !window.is_visible().unwrap_or(true) {
                let _ = window.show();
                let _ = window.set_focus();
                if let Some(splash) = window.app_handle().get_webview_window(SPLASH) {
                    let _ = splash.close();
                }
            }
            // Announced once the window shows it, which is what the smoke test waits for.
            let url = payload.url();
            let on_backend = current_origin(window.app_handle()).is_some_and(|o| o.matches(url));
            if url.path() != BOOTSTRAP_PATH && on_backend {
                announce("page-loaded", json!({"url": url.as_str()}));
                smoke::page_loaded(window.app_handle());
            }
        })
        .build()
        .map_err(|err| err.to_string())?;
    announce("window-created", json!({}));
    Ok(window)
}

/// The app's waiting page, at its app-asset address (`tauri://localhost/` on Linux and macOS,
/// `http(s)://tauri.localhost/` on Windows).
fn is_waiting_page(url: &Url) -> bool {
    let app_asset = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    };
    app_asset && url.path() == format!("/{WAITING_PAGE}")
}

/// The navigation lock: true only for the backend origin. Web and mail links go to the OS
/// instead; every other scheme (file:, data:, custom protocols) goes nowhere; while the backend
/// restarts, nothing.
fn guard(app: &AppHandle, url: &Url) -> bool {
    let Some(origin) = current_origin(app) else { return false };
    match origin.navigation(url) {
        Navigation::Allow => true,
        Navigation::OpenInBrowser => {
            if let Err(err) = app.opener().open_url(url.as_str(), None::<&str>) {
                eprintln!("could not open {url} in the browser: {err}");
            }
            false
        }
        Navigation::Deny => false,
    }
}

/// The splash is gone. Closed by the user while the app window is still hidden (the backend
/// starting, or failed), it was the only window they could see: quit, as before the hidden
/// app window existed. Closed because the app window showed, nothing to do.
pub fn splash_closed(app: &AppHandle) {
    let shown = app.get_webview_window(MAIN).is_some_and(|w| w.is_visible().unwrap_or(false));
    if !shown {
        app.exit(0);
    }
}

/// A second launch lands here (single-instance plugin): bring the running app forward.
pub fn focus_existing(app: &AppHandle) {
    let main = app.get_webview_window(MAIN).filter(|w| w.is_visible().unwrap_or(false));
    if let Some(window) = main.or_else(|| app.get_webview_window(SPLASH)) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
