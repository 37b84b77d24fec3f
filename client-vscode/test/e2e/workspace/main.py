from geometry import rectangle_area


def room_sizes(rooms):
    sizes = []
    for width, height in rooms:
        sizes.append(rectangle_area(width, height))
    return sizes

