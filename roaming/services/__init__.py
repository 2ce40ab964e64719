"""Plain service functions over the models: the behaviour views, tasks, admin and commands share."""
