//! "Move library…" in the Settings tab: the files arrive at the new folder and the settings
//! name it, so the app and the CLI both find the library there afterwards.

use std::sync::Arc;

use annolab_workspace::browse::Browsers;
use annolab_workspace::exports::Exports;
use annolab_workspace::library::move_library;
use annolab_workspace::{Settings, Workspace};

#[test]
fn the_settings_follow_the_library_to_its_new_folder() {
    let home = tempfile::tempdir().unwrap();
    let (config, default) = (home.path().join("config"), home.path().join("library"));
    let workspace = Workspace::open(&config, default.clone(), None);
    let kept = default.join("Owner").join("Project").join("notes.txt");
    std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
    std::fs::write(&kept, b"kept").unwrap();
    let exports = Exports::new(Arc::clone(&workspace.accounts), Arc::new(|_| {}));

    let to = home.path().join("bigger disk").join("library");
    let view = move_library(&workspace.settings, &exports, &Browsers::default(), &to, &|_| {}).unwrap();

    assert_eq!(view.root, to.display().to_string());
    assert_eq!(std::fs::read(to.join("Owner").join("Project").join("notes.txt")).unwrap(), b"kept");
    assert!(!default.exists(), "nothing left at the old place");
    assert_eq!(Settings::load(&config, default).library().root(), to, "saved: the CLI finds it there too");
}
