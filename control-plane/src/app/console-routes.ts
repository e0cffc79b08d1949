import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/**
 * The console is a single-page application with its own URLs (`/agents/:id/config`,
 * `/provisioning`): a browser that opens or reloads one of them gets `index.html`, and the
 * console's router takes it from there. API paths and files are never answered this way, so an
 * unknown API route is still a JSON 404 and a missing asset still a 404.
 */
export function consoleRoutes(consoleDir: string, apiPrefix: string) {
  const index = path.join(consoleDir, 'index.html');
  const api = `/${apiPrefix.replace(/^\/+|\/+$/g, '')}`;
  return (req: Request, res: Response, next: NextFunction): void => {
    const isPage = (req.method === 'GET' || req.method === 'HEAD') && req.accepts(['html', 'json']) === 'html';
    const underApi = req.path === api || req.path.startsWith(`${api}/`);
    if (!isPage || underApi || path.extname(req.path) !== '') {
      next();
      return;
    }
    res.sendFile(index, (err) => {
      if (err) next();
    });
  };
}
