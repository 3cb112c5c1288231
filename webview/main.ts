// Placeholder entry point of the Credentials webview; replaced by the extension capability.
document.body.dataset.ready = 'true';
