"""A small example file for `infill complete` (see README)."""

import math


class Circle:
    def __init__(self, radius):
        self.radius = radius

    def area(self):
        """Area of the circle."""
        
        
    def circumference(self):
        return 2 * math.pi * self.radius
