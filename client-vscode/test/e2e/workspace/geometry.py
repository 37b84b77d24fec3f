"""Small geometry helpers (a fixture of the Infill end-to-end tests)."""


def rectangle_area(width: float, height: float) -> float:
    """Return the area of a rectangle with the given width and height."""
    return width * height


def circle_area(radius: float) -> float:
    """Return the area of a circle of the given radius."""
    return 3.14159 * radius * radius
