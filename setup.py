"""Package setup, driven by settings.ini (the nbdev convention)."""
import shlex
from configparser import ConfigParser
import setuptools

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
gpu_requirements = shlex.split(cfg.get('gpu_requirements', ''))
mistral_requirements = shlex.split(cfg.get('mistral_requirements', ''))
real_requirements = shlex.split(cfg.get('real_requirements', ''))
console_scripts = [s.strip() for s in cfg.get('console_scripts', '').split() if s.strip()]
lic = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License')}[cfg['license']]

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    author=cfg['author'],
    author_email=cfg['author_email'],
    url=cfg['git_url'],
    license=lic[0],
    classifiers=['Programming Language :: Python :: 3', 'License :: ' + lic[1]],
    python_requires='>=' + cfg['min_python'],
    packages=setuptools.find_packages(include=[cfg['lib_path'], cfg['lib_path'] + '.*']),
    include_package_data=True,
    package_data={cfg['lib_path']: ['presets/*.yaml', 'sample_data/*.jsonl', 'sample_data/*.md', 'sample_data/schemas/*.sql',
                                   'sample_data/synth_schemas/*.sql', 'sample_data/heldout_schemas/*.sql',
                                   'tiny_model/*']},
    install_requires=requirements,
    extras_require={'dev': dev_requirements, 'gpu': gpu_requirements, 'mistral': mistral_requirements,
                    'real': real_requirements},
    entry_points={'console_scripts': console_scripts, 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    zip_safe=False,
)
