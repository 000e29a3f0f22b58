// field app service worker: written with the field app
