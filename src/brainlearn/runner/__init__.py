"""brainlearn.runner"""
