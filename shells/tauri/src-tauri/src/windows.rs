//! The two windows: the splash (declared in tauri.conf.json) and the app window on the backend
//! origin, which may never navigate anywhere else.

use desktop_django_supervisor::{Navigation, Origin};
use serde_json::json;
use tauri::webview::{NewWindowResponse, PageLoadEvent};
use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_opener::OpenerExt;

use crate::announce::announce;
use crate::backend::Backend;
use crate::smoke;

pub const SPLASH: &str = "splash";
pub const MAIN: &str = "main";
/// The page that trades the token for the cookie and redirects: not yet the app.
const BOOTSTRAP_PATH: &str = "/desktop-auth/bootstrap/";

/// The app window on a started backend: opened the first time, sent to the new backend's
/// bootstrap URL after a restart (the navigation lock follows the backend's current origin).
pub fn show_backend(app: &AppHandle, bootstrap_url: &str) -> Result<(), String> {
    let Some(window) = app.get_webview_window(MAIN) else {
        return open_main(app, bootstrap_url);
    };
    let url: Url = bootstrap_url.parse().map_err(|err| format!("bad bootstrap URL: {err}"))?;
    window.navigate(url).map_err(|err| err.to_string())
}

/// The backend's origin now (None before it started, or while it restarts).
fn current_origin(app: &AppHandle) -> Option<Origin> {
    app.try_state::<Backend>().and_then(|backend| backend.origin())
}

/// Open the app window on the bootstrap URL. The backend answers with the HttpOnly cookie and
/// a redirect to `/`, so the token is gone from the address once the first page shows. The
/// window stays hidden until that page has loaded, then replaces the splash.
fn open_main(app: &AppHandle, bootstrap_url: &str) -> Result<(), String> {
    let url: Url = bootstrap_url.parse().map_err(|err| format!("bad bootstrap URL: {err}"))?;
    let menu = crate::menu::build(app).map_err(|err| err.to_string())?;
    let navigation_app = app.clone();
    let popup_app = app.clone();
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::External(url))
        .title(app.package_info().name.clone())
        .inner_size(1200.0, 800.0)
        .min_inner_size(720.0, 480.0)
        .center()
        .visible(false)
        .menu(menu)
        .on_navigation(move |url| guard(&navigation_app, url))
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
    Ok(())
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

/// A second launch lands here (single-instance plugin): bring the running app forward.
pub fn focus_existing(app: &AppHandle) {
    let main = app.get_webview_window(MAIN).filter(|w| w.is_visible().unwrap_or(false));
    if let Some(window) = main.or_else(|| app.get_webview_window(SPLASH)) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
