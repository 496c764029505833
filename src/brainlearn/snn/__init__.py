"""brainlearn.snn"""
