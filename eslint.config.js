// Lint rules: typescript-eslint recommended, plus the one-way import rule of DESIGN.md
// (protocols/ imports nothing of ours; src/api never src/gateway; simulator/ only protocols/).
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
      'import-x/no-restricted-paths': ['error', {
        zones: [
          { target: './protocols', from: ['./src', './simulator', './bench', './test'], message: 'protocols/ is the pure codec: it imports nothing of ours' },
          { target: './src/api', from: './src/gateway', message: 'src/api never imports src/gateway' },
          { target: './simulator', from: ['./src', './bench'], message: 'the simulator imports only protocols/' },
          { target: './src', from: ['./simulator', './bench', './test'], message: 'src/ never imports simulator/, bench/ or test/' }
        ]
      }]
    }
  }
);
