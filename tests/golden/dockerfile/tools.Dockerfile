FROM python
RUN pip install tox
