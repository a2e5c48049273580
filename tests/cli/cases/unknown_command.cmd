runn
