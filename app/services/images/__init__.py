"""The image service (I/O around the pure operations of app.imaging): this worker's pool, batches on disk,
uploads to Magento. `service.get_images()` is the one way in; `service.init_app` wires it into an app."""
