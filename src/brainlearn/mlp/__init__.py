"""brainlearn.mlp"""
