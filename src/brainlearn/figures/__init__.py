"""brainlearn.figures"""
