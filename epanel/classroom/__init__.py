"""Schools, teachers, class sessions and live class results."""
