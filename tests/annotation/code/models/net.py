# A module of the annotated package.


class Net:
    def __init__(self):
        """@nni.variable(nni.choice(16, 32, 64), name=self.hidden)"""
        self.hidden = 32
