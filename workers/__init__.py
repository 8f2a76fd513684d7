"""The image multiprocessing pool (`workers.pool`) and the picklable tasks it runs (`workers.tasks`)."""
